/* tracker/pyexit.c — see pyexit.h. */
#include "tracker/pyexit.h"

#include <string.h>

#include "state/format.h"
#include "tracker/pyapi.h"
#include "tracker/tracker.h"

/* CPython's PyMethodDef (methodobject.h, the same 3.9 to 3.15). */
struct py_method_def {
	const char *name;
	PyObj *(*meth)(PyObj *, PyObj *);
	int flags;
	const char *doc;
};
#define PY_METH_NOARGS 0x0004

/* 1 once the registration was asked for (or is not possible here). */
static int asked;

static void drop(PyObj *o)
{
	if (o)
		pyapi.DecRef(o);
}

/* A str's UTF-8 bytes into buf (cap > 0), "" for anything else. */
static size_t utf8_of(PyObj *s, char *buf, size_t cap)
{
	ssize_t len = 0;
	const char *u = s ? pyapi.Unicode_AsUTF8AndSize(s, &len) : NULL;
	size_t n = u && len > 0 ? (size_t)len : 0;
	if (n > cap - 1)
		n = cap - 1;
	memcpy(buf, u ? u : "", n);
	buf[n] = 0;
	return n;
}

/* "module.qualname" of exc's type ("builtins." left out), and str(exc). */
static void note(PyObj *exc)
{
	char name[OOMPH_EXC_TYPE_MAX], qual[OOMPH_EXC_TYPE_MAX];
	PyObj *type = pyapi.Object_Type(exc);
	PyObj *mod = type ? pyapi.Object_GetAttrString(type, "__module__") : NULL;
	PyObj *qn = type ? pyapi.Object_GetAttrString(type, "__qualname__") : NULL;
	size_t n = utf8_of(mod, name, sizeof name);
	size_t q = utf8_of(qn, qual, sizeof qual);
	drop(qn);
	drop(mod);
	drop(type);
	pyapi.Err_Clear(); /* a type without one of them: its other name */
	if (!q)
		return;
	if (!n || !strcmp(name, "builtins"))
		n = 0;
	else if (n + 1 < sizeof name)
		name[n++] = '.';
	size_t k = q < sizeof name - 1 - n ? q : sizeof name - 1 - n;
	memcpy(name + n, qual, k);
	n += k;
	name[n] = 0;
	/* str() may run the program's own __str__, and fail (MemoryError at
	 * the limit): then the type alone */
	PyObj *s = pyapi.Object_Str(exc);
	ssize_t len = 0;
	const char *m = s ? pyapi.Unicode_AsUTF8AndSize(s, &len) : NULL;
	tracker_on_exception(name, n, m ? m : "", m && len > 0 ? (size_t)len : 0);
	drop(s);
	pyapi.Err_Clear();
}

/* The atexit callback: the exception PyErr_Print left in sys, if any. */
static PyObj *at_exit(PyObj *self, PyObj *unused)
{
	(void)self;
	(void)unused;
	if (tracker_active()) {
		PyObj *et, *ev, *tb;
		pyapi.Err_Fetch(&et, &ev, &tb);
		PyObj *exc = pyapi.Sys_GetObject("last_exc"); /* 3.12+ */
		if (!exc || exc == pyapi.None)
			exc = pyapi.Sys_GetObject("last_value");
		if (exc && exc != pyapi.None) {
			pyapi.IncRef(exc); /* borrowed from sys: str() could drop it */
			note(exc);
			pyapi.DecRef(exc);
		}
		pyapi.Err_Clear();
		pyapi.Err_Restore(et, ev, tb);
	}
	pyapi.IncRef(pyapi.None);
	return pyapi.None;
}

static struct py_method_def def = {"oomph_note_exception", at_exit, PY_METH_NOARGS,
				   "oomph: note the exception that ends the process"};

/* The pending call: atexit.register(at_exit), at a bytecode boundary of
 * the main thread.  Always 0: a pending call that fails raises in the
 * program. */
static int register_at_exit(void *unused)
{
	(void)unused;
	PyObj *et, *ev, *tb;
	pyapi.Err_Fetch(&et, &ev, &tb);
	PyObj *mod = pyapi.Import_ImportModule("atexit");
	PyObj *reg = mod ? pyapi.Object_GetAttrString(mod, "register") : NULL;
	PyObj *fn = reg ? pyapi.CFunction_NewEx(&def, NULL, NULL) : NULL;
	PyObj *r = fn ? pyapi.Object_CallFunctionObjArgs(reg, fn, (PyObj *)NULL) : NULL;
	drop(r);
	drop(fn); /* atexit holds it */
	drop(reg);
	drop(mod);
	pyapi.Err_Clear();
	pyapi.Err_Restore(et, ev, tb);
	return 0;
}

void pyexit_schedule(void)
{
	if (__atomic_load_n(&asked, __ATOMIC_RELAXED) || !tracker_active() || !pyapi.has_exit)
		return;
	/* this thread holds the GIL with its own state: the interpreter
	 * exists (before it does, both are NULL) */
	PyObj *mine = pyapi.ThisThreadState();
	if (!mine || mine != pyapi.CurrentState())
		return;
	if (__atomic_exchange_n(&asked, 1, __ATOMIC_ACQ_REL))
		return;
	if (pyapi.AddPendingCall(register_at_exit, NULL) != 0)
		__atomic_store_n(&asked, 0, __ATOMIC_RELAXED); /* queue full: next time */
}
