/* tracker/pyexit.h — which uncaught exception ended a Python process: its
 * type and the first line of its message, into the state header (exc_*,
 * through tracker_on_exception) as the interpreter exits.
 *
 * Contract
 *   - An uncaught exception reaches PyErr_Print, which sets sys.last_exc
 *     (3.12+) and sys.last_value before Py_FinalizeEx runs the atexit
 *     callbacks with the interpreter whole; SystemExit never sets them
 *     (sys.exit(3) is no exception), nor does an exception caught, or
 *     printed by its catcher (multiprocessing's workers).  So one atexit
 *     callback written in C reads them.  Registered early, it runs after
 *     the program's own callbacks (atexit is last in, first out).
 *   - pyexit_schedule() may be called from any hook on any thread, as
 *     often as it likes: after its first success it is one load.  It asks
 *     for the registration only on a thread that holds the GIL with its
 *     own thread state (so the interpreter exists), through
 *     Py_AddPendingCall (no GIL needed, no allocation); the registration
 *     itself runs at the main thread's next bytecode boundary, where
 *     running Python is as safe as in a signal handler.  hooks.c calls it
 *     from sigaction(), which CPython's start calls (signal handlers
 *     installed) after its import system is ready, 3.9 to 3.15.
 *   - Once per process image: a fork child inherits the registration and
 *     the flag, and its callback records into its own state (the
 *     tracker's, whichever process runs it).  After exec, afresh.
 *   - The callback never raises into the program (errors are cleared,
 *     the program's pending exception put back), allocates only what
 *     str(exc) and two names need, and does nothing when not tracking.
 */
#ifndef OOMPH_PYEXIT_H
#define OOMPH_PYEXIT_H

void pyexit_schedule(void);

#endif
