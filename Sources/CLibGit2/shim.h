#ifndef TRESTLE_CLIBGIT2_SHIM_H
#define TRESTLE_CLIBGIT2_SHIM_H
#include <git2.h>

/* Bounds connecting to and stalled reads from HTTP(S) remotes (libgit2 1.7 and later; git_libgit2_opts
   is variadic, so Swift reaches it through this wrapper). Answers 1 when set, 0 when this libgit2 lacks
   the options, negative on error. */
static inline int trestle_set_server_timeouts(int connect_ms, int read_ms) {
#if LIBGIT2_VER_MAJOR > 1 || (LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR >= 7)
    int result = git_libgit2_opts(GIT_OPT_SET_SERVER_CONNECT_TIMEOUT, connect_ms);
    if (result == 0) result = git_libgit2_opts(GIT_OPT_SET_SERVER_TIMEOUT, read_ms);
    return result == 0 ? 1 : result;
#else
    (void)connect_ms;
    (void)read_ms;
    return 0;
#endif
}
#endif
