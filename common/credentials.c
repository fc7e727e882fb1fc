/* SPDX-License-Identifier: MIT */
/* credentials.c: placeholder until the module lands. */
