/* SPDX-License-Identifier: MIT */
/* http.c: placeholder until the module lands. */
