/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Replaces every byte sequence of s that is not valid UTF-8 by '?', in place
 * (D-Bus strings must be UTF-8; comm, file names and policy text need not
 * be). Returns true if s was changed. */
bool utf8_sanitize(char *s);

/* True if s is valid UTF-8. */
bool utf8_is_valid(const char *s);
