/* SPDX-License-Identifier: MIT */
/* imds.c: placeholder until the module lands. */
