/* Unsafe libc calls, banned at compile time as git's banned.h does. The build forces this
 * header before every file (-include in meson.build), so nobody has to remember it: it
 * first includes the headers that declare what it bans, whose include guards then keep the
 * declarations from meeting the macros. */
#ifndef MLT_BANNED_H
#define MLT_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef gets
#define gets(x) BANNED(gets)

#endif
