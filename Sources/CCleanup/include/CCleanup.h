// Removal of temporary output files when the process is interrupted (issue #17).
//
// AtomicFileOutput registers each temporary file here; a handler for SIGINT, SIGTERM and SIGHUP
// unlinks every registered path with async-signal-safe calls only (unlink, sigaction, raise),
// then re-raises the signal with its default action, so the exit status still says which signal
// ended the process. SIGKILL cannot be caught: a temporary file can survive it (and a power
// cut), never a partial output under the final name.
#ifndef GIC_CCLEANUP_H
#define GIC_CCLEANUP_H

/// Registers `path` for removal on SIGINT, SIGTERM or SIGHUP, installing the handlers the first
/// time (a signal the process ignores, as under nohup, stays ignored). Returns a slot number for
/// gic_cleanup_unregister, or -1 when every slot is taken or the path is too long (the file is
/// then not removed on a signal, but everything else works).
int gic_cleanup_register(const char *path);

/// Installs the handlers now and unblocks SIGINT, SIGTERM and SIGHUP on the calling thread, so
/// that a process started with them blocked (as a child of a thread pool can be) still gets
/// them. Tools call it first thing on the main thread; gic_cleanup_register installs the
/// handlers too.
void gic_cleanup_install(void);

/// Forgets a slot: the file was renamed into place or removed.
void gic_cleanup_unregister(int slot);

/// Lets glibc's allocator reuse freed memory instead of mapping fresh pages (blocks up to 32 MiB
/// from the heap, free heap memory kept up to 512 MiB); nothing on other C libraries. Called
/// through SystemCalls.reuseFreedMemory (the allocator setting is not in Swift's Glibc module).
void gic_reuse_freed_memory(void);

#endif
