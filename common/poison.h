/*
 * Forced into every translation unit by the Makefile (-include). It first
 * pulls in the headers that declare the unsafe functions, so their own
 * declarations are seen before the names are poisoned; any later use in
 * botbox code is then a compile error. Use snprintf, memcpy with an explicit
 * length, or struct bb_buf (common/buf.h) instead.
 */
#ifndef BB_POISON_H
#define BB_POISON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC poison strcpy strcat strncpy strncat sprintf vsprintf gets strtok atoi atol

#endif
