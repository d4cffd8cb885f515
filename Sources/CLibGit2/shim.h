#ifndef TRESTLE_CLIBGIT2_SHIM_H
#define TRESTLE_CLIBGIT2_SHIM_H
#include <git2.h>
#endif
