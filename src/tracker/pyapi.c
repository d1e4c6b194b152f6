/* tracker/pyapi.c — see pyapi.h. */
#include "tracker/pyapi.h"

#include <dlfcn.h>
#include <string.h>

struct pyapi pyapi;

#define RESOLVE(field, name) (*(void **)&pyapi.field = dlsym(RTLD_DEFAULT, name))

/* "3.11.7 (main, ...)" -> version "3.11.7", major 3, minor 11. */
static void pyapi_parse_version(const char *v, int *major, int *minor)
{
	size_t n = 0;
	while (v && v[n] && v[n] != ' ' && n + 1 < sizeof(pyapi.version)) {
		pyapi.version[n] = v[n];
		n++;
	}
	pyapi.version[n] = 0;
	const char *p = pyapi.version;
	*major = *minor = 0;
	while (*p >= '0' && *p <= '9')
		*major = *major * 10 + (*p++ - '0');
	if (*p == '.')
		p++;
	while (*p >= '0' && *p <= '9')
		*minor = *minor * 10 + (*p++ - '0');
}

int pyapi_init(void)
{
	if (!RESOLVE(IsInitialized, "Py_IsInitialized") ||
	    !RESOLVE(ThisThreadState, "PyGILState_GetThisThreadState") ||
	    !RESOLVE(Eval_GetFrame, "PyEval_GetFrame") ||
	    !RESOLVE(Frame_GetBack, "PyFrame_GetBack") || /* 3.9+ */
	    !RESOLVE(Frame_GetCode, "PyFrame_GetCode") || /* 3.9+ */
	    !RESOLVE(Frame_GetLineNumber, "PyFrame_GetLineNumber") ||
	    !RESOLVE(IncRef, "Py_IncRef") || !RESOLVE(DecRef, "Py_DecRef") ||
	    !RESOLVE(Object_GetAttrString, "PyObject_GetAttrString") ||
	    !RESOLVE(Unicode_AsUTF8AndSize, "PyUnicode_AsUTF8AndSize") ||
	    !RESOLVE(Err_Fetch, "PyErr_Fetch") || !RESOLVE(Err_Restore, "PyErr_Restore") ||
	    !RESOLVE(Err_Clear, "PyErr_Clear") || !RESOLVE(GetVersion, "Py_GetVersion") ||
	    !RESOLVE(Mem_GetAllocator, "PyMem_GetAllocator") ||
	    !RESOLVE(Mem_SetAllocator, "PyMem_SetAllocator"))
		return 0;
	if (!RESOLVE(CurrentState, "PyThreadState_GetUnchecked") && /* 3.13 */
	    !RESOLVE(CurrentState, "_PyThreadState_UncheckedGet"))  /* 3.9-3.12 */
		return 0;
	if (!RESOLVE(IsFinalizing, "Py_IsFinalizing")) /* 3.13 */
		RESOLVE(IsFinalizing, "_Py_IsFinalizing"); /* 3.9-3.12 */
	RESOLVE(Code_Addr2Line, "PyCode_Addr2Line");
	RESOLVE(Frame_GetLasti, "PyFrame_GetLasti"); /* 3.11+ */
	RESOLVE(AllocatorName, "_PyMem_GetCurrentAllocatorName");
	RESOLVE(GC_Disable, "PyGC_Disable");
	RESOLVE(GC_Enable, "PyGC_Enable");
	pyapi.CodeType = dlsym(RTLD_DEFAULT, "PyCode_Type");
	pyapi.UnicodeType = dlsym(RTLD_DEFAULT, "PyUnicode_Type");
	pyapi.Runtime = dlsym(RTLD_DEFAULT, "_PyRuntime");
	/* all in the stable ABI, 3.9 on */
	pyapi.None = dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
	pyapi.has_exit = RESOLVE(AddPendingCall, "Py_AddPendingCall") &&
			 RESOLVE(Import_ImportModule, "PyImport_ImportModule") &&
			 RESOLVE(CFunction_NewEx, "PyCFunction_NewEx") &&
			 RESOLVE(Object_CallFunctionObjArgs, "PyObject_CallFunctionObjArgs") &&
			 RESOLVE(Sys_GetObject, "PySys_GetObject") &&
			 RESOLVE(Object_Type, "PyObject_Type") && RESOLVE(Object_Str, "PyObject_Str") &&
			 pyapi.None;
	/* Py_GetVersion() is a static string, safe before the interpreter
	 * starts. */
	int major, minor;
	pyapi_parse_version(pyapi.GetVersion(), &major, &minor);
	if (major != 3 || minor < 9)
		return 0;
	pyapi.has_qualname = minor >= 11;
	pyapi.minor = minor;
	return 1;
}

/* The cache's pin: a reference never given back (as describe() does). */
static void pin_code(const void *code)
{
	pyapi.IncRef((PyObj *)(uintptr_t)code);
}

int pyapi_line(const void *code, int byte_offset, int gil)
{
	int line;
	if (linecache_get(code, byte_offset, &line))
		return line;
	line = pyapi.Code_Addr2Line((PyObj *)(uintptr_t)code, byte_offset);
	linecache_put(code, byte_offset, line, gil ? pin_code : NULL);
	return line;
}

/* A frame's line: from the cache by (code, offset) when the offset is known
 * (3.11+), else computed by CPython (the line table read from its start). */
static int frame_line(PyObj *f, PyObj *code)
{
	int lasti = pyapi.Frame_GetLasti ? pyapi.Frame_GetLasti(f) : -1;
	int line;
	if (lasti >= 0 && linecache_get(code, lasti, &line))
		return line;
	line = pyapi.Frame_GetLineNumber(f);
	if (lasti >= 0)
		linecache_put(code, lasti, line, pin_code);
	return line;
}

int pyapi_walk(struct stack_key *out, int max, int *flags)
{
	int gc_was_on = pyapi.GC_Disable ? pyapi.GC_Disable() : 0;
	int n = 0;
	PyObj *f = pyapi.Eval_GetFrame(); /* borrowed */
	if (f)
		pyapi.IncRef(f);
	while (f) {
		if (n == max) {
			*flags |= STACK_TRUNCATED;
			pyapi.DecRef(f);
			break;
		}
		PyObj *code = pyapi.Frame_GetCode(f); /* new reference */
		int line = frame_line(f, code);
		out[n].code = code;
		out[n].line = line > 0 ? (uint32_t)line : 0;
		out[n].pad = 0;
		n++;
		/* The frame keeps its code alive; describe() takes our own ref. */
		pyapi.DecRef(code);
		PyObj *back = pyapi.Frame_GetBack(f); /* new reference */
		pyapi.DecRef(f);
		f = back;
	}
	if (gc_was_on && pyapi.GC_Enable)
		pyapi.GC_Enable();
	return n;
}

static void pyapi_copy_str(PyObj *obj, char *dst, size_t cap)
{
	dst[0] = 0;
	if (!obj)
		return;
	ssize_t len = 0;
	const char *s = pyapi.Unicode_AsUTF8AndSize(obj, &len);
	if (!s || len < 0)
		return;
	size_t n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

int pyapi_describe(const void *code, char *file, size_t filecap, char *func, size_t funccap)
{
	PyObj *et, *ev, *tb;
	PyObj *c = (PyObj *)(uintptr_t)code;
	pyapi.Err_Fetch(&et, &ev, &tb);
	PyObj *fn = pyapi.Object_GetAttrString(c, "co_filename");
	PyObj *nm = pyapi.Object_GetAttrString(c, pyapi.has_qualname ? "co_qualname" : "co_name");
	pyapi_copy_str(fn, file, filecap);
	pyapi_copy_str(nm, func, funccap);
	if (fn)
		pyapi.DecRef(fn);
	if (nm)
		pyapi.DecRef(nm);
	pyapi.Err_Clear();
	pyapi.Err_Restore(et, ev, tb);
	linecache_pin(c, pin_code); /* interned by address: never let the address be reused */
	return file[0] ? 0 : -1;
}
