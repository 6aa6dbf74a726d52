"""The ctypes binding against the public headers: every function that
include/*.h declares is bound with the same return and argument types, and
every struct the binding mirrors has the header's fields, in order, with
the same types -- so a change to a header that the binding misses fails
here instead of corrupting memory."""

import ctypes
import os
import re

import pytest

from clmlp import _capi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADERS = [os.path.join(ROOT, "include", h)
           for h in ("clmlp.h", "clmlp_layer.h", "clmlp_opencl.h")]
SCALARS = {"int": ctypes.c_int, "unsigned": ctypes.c_uint, "size_t": ctypes.c_size_t,
           "double": ctypes.c_double, "float": ctypes.c_float, "uint64_t": ctypes.c_uint64,
           "int32_t": ctypes.c_int32, "sig_atomic_t": ctypes.c_int}


def clean(text):
    """The header without comments, preprocessor lines, extern "C" and
    attributes."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    text = text.replace('extern "C" {', " ")
    text = re.sub(r"__attribute__\s*\(\(.*?\)\)\s*(?=;)", " ", text, flags=re.S)
    return text


class Header:
    """What the public headers declare: functions, structs, enums, opaque
    types and callback types."""

    def __init__(self, paths):
        self.functions, self.structs = {}, {}
        self.enums, self.opaque, self.callbacks = set(), set(), set()
        for p in paths:
            self._read(clean(open(p).read()))

    def _read(self, text):
        def struct(m):
            self.structs[m.group(3)] = [self._decl(f) for f in self._split(m.group(2))]
            return " "
        text = re.sub(r"typedef\s+struct\s*(\w+)?\s*\{(.*?)\}\s*(\w+)\s*;", struct, text,
                      flags=re.S)
        for m in re.finditer(r"typedef\s+enum\s*\{.*?\}\s*(\w+)\s*;", text, flags=re.S):
            self.enums.add(m.group(1))
        text = re.sub(r"(typedef\s+)?enum\s*\{.*?\}\s*\w*\s*;", " ", text, flags=re.S)
        for m in re.finditer(r"typedef\s+struct\s+\w+\s+(\w+)\s*;", text):
            self.opaque.add(m.group(1))
        for m in re.finditer(r"typedef[^;]*\(\s*\*\s*(\w+)\s*\)\s*\([^;]*\)\s*;", text):
            self.callbacks.add(m.group(1))
        text = re.sub(r"typedef[^;]*;", " ", text)
        for m in re.finditer(r"([\w\s\*]+?)\b(clmlp_\w+)\s*\(([^;]*)\)\s*;", text):
            ret = self._type(m.group(1))
            args = [a.strip() for a in m.group(3).split(",")]
            variadic = args[-1:] == ["..."]
            args = [a for a in args if a not in ("...", "void")]
            self.functions[m.group(2)] = (ret, [self._decl(a)[1] for a in args], variadic)

    @staticmethod
    def _split(body):
        """Field declarations, one per name (`double a, b;` is two)."""
        out = []
        for d in body.split(";"):
            d = " ".join(d.split())
            if not d:
                continue
            if "(" in d:  # a function pointer field: kept whole, not mirrored
                out.append(d)
                continue
            first, *rest = [x.strip() for x in d.split(",")]
            out.append(first)
            base = re.match(r"^((?:const\s+|struct\s+|volatile\s+)*\w+)", first).group(1)
            out += ["%s %s" % (base, r) for r in rest]
        return out

    @staticmethod
    def _type(decl):
        """(base type, pointer depth, array length or None) of a declaration
        without its name."""
        words = decl.replace("*", " * ").split()
        depth = words.count("*")
        words = [w for w in words if w not in ("*", "const", "volatile", "struct")]
        return (" ".join(words), depth, None)

    def _decl(self, d):
        """(name, type) of one parameter or field."""
        if "(" in d:
            return (re.search(r"\(\s*\*\s*(\w+)", d).group(1), ("function pointer", 0, None))
        arr = re.search(r"\[(\w+)\]\s*$", d)
        length = None
        if arr:
            length = arr.group(1)
            d = d[:arr.start()]
        m = re.match(r"^(.*?)(\w+)\s*$", d)
        base, depth, _ = self._type(m.group(1))
        return (m.group(2), (base, depth, length))


def expected(header, t, where):
    """The ctypes type the binding must use for C type t."""
    base, depth, length = t
    if length is not None:
        assert base == "char", "%s: arrays of %s are not mirrored" % (where, base)
        return ("array", ctypes.c_char, int(length))
    if base == "char":
        if depth == 0:
            return ctypes.c_char
        inner = ctypes.c_char_p
        depth -= 1
    elif base == "void":
        if depth == 0:
            return None
        inner = ctypes.c_void_p
        depth -= 1
    elif base in SCALARS or base in header.enums:
        inner = SCALARS.get(base, ctypes.c_int)
    elif base in header.callbacks:
        inner = _capi.CALLBACKS[base]
    elif base in _capi.STRUCTS:
        inner = _capi.STRUCTS[base]
    elif base in header.opaque or base in header.structs or base == "FILE" or \
            base.startswith("clmlp_"):
        assert depth >= 1, "%s: %s by value is not mirrored by the binding" % (where, base)
        inner = ctypes.c_void_p
        depth -= 1
    else:
        raise AssertionError("%s: no ctypes type for C type %r" % (where, t))
    for _ in range(depth):
        inner = ctypes.POINTER(inner)
    return inner


def same(binding, want):
    if isinstance(want, tuple):
        return (issubclass(binding, ctypes.Array) and binding._type_ is want[1]
                and binding._length_ == want[2])
    return binding is want


@pytest.fixture(scope="module")
def header():
    return Header(HEADERS)


def test_the_parser_finds_the_api(header):
    # So that a parser gone blind cannot pass the checks below.
    assert len(header.functions) > 100
    assert "clmlp_model_fit" in header.functions
    assert header.functions["clmlp_layer_error"][2]
    assert "clmlp_fit_opts" in header.structs and "clmlp_epoch_cb" in header.callbacks
    assert ("beta2", ("double", 0, None)) in header.structs["clmlp_optimizer"]


def test_every_function_is_bound(header):
    assert sorted(set(header.functions) - set(_capi.FUNCTIONS)) == []
    assert sorted(set(_capi.FUNCTIONS) - set(header.functions)) == []


def test_every_signature_matches(header):
    wrong = []
    for name, (ret, args, variadic) in sorted(header.functions.items()):
        sig = _capi.FUNCTIONS[name]
        if not same(sig[0], expected(header, ret, name + " returns")):
            wrong.append("%s returns %r, the binding says %r" % (name, ret, sig[0]))
        if len(args) != len(sig[1]):
            wrong.append("%s takes %d arguments, the binding %d" % (name, len(args), len(sig[1])))
            continue
        for i, (a, b) in enumerate(zip(args, sig[1])):
            if not same(b, expected(header, a, "%s argument %d" % (name, i))):
                wrong.append("%s argument %d is %r, the binding says %r" % (name, i, a, b))
        if variadic != (len(sig) > 2 and sig[2] == "variadic"):
            wrong.append("%s: variadic in one and not the other" % name)
    assert wrong == []


def test_every_mirrored_struct_matches(header):
    wrong = []
    for cname, py in sorted(_capi.STRUCTS.items()):
        fields = header.structs[cname]
        ours = [(_capi.FIELD_NAMES.get(n, n), t) for n, t in py._fields_]
        if [n for n, _ in fields] != [n for n, _ in ours]:
            wrong.append("%s: header fields %s, binding %s" % (
                cname, [n for n, _ in fields], [n for n, _ in ours]))
            continue
        for (n, t), (_, b) in zip(fields, ours):
            if not same(b, expected(header, t, "%s.%s" % (cname, n))):
                wrong.append("%s.%s is %r, the binding says %r" % (cname, n, t, b))
    assert wrong == []


def test_the_check_can_fail(header, monkeypatch):
    # A binding that drifted by one argument type is caught.
    sig = _capi.FUNCTIONS["clmlp_model_predict"]
    monkeypatch.setitem(_capi.FUNCTIONS, "clmlp_model_predict",
                        (sig[0], [sig[1][0], _capi.f32p, ctypes.c_int, _capi.f32p]))
    with pytest.raises(AssertionError):
        test_every_signature_matches(header)


def test_the_library_is_the_package_version():
    import clmlp
    assert _capi.text(_capi.lib.clmlp_version()) == clmlp.__version__
