#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the build system from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
autoreconf --force --install --verbose
