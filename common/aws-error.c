/* SPDX-License-Identifier: MIT */
/* aws-error.c: placeholder until the module lands. */
