#ifndef TRESTLE_CMALLOC_SHIM_H
#define TRESTLE_CMALLOC_SHIM_H
#ifdef __linux__
#include <malloc.h>
#endif
#endif
