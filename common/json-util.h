#pragma once
/* SPDX-License-Identifier: MIT */
/* json-util.h: the cleanup helper for json-c objects, shared by every json-c user. */

#include <json-c/json.h>

#include "common/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);
