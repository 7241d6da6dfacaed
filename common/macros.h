/*
 * Small macros used across modules.
 */
#ifndef BB_MACROS_H
#define BB_MACROS_H

#include <stddef.h>

/* The struct of type `type` whose member `member` is at ptr (the callback
 * idiom: a loop hands back the embedded io or timer). Through void * because
 * the member's alignment guarantees the container's. */
#define BB_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Elements in an array (not a pointer). */
#define BB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
