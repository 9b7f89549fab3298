package funcs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// MaxNumberExponent bounds the magnitude of numbers: a number's binary exponent may be at most
// this (about 1e1000), and so may the negated exponent of a non-zero number (about 1e-1000).
// Rendering a number as text takes time that grows with the square of its number of digits:
// 1e10000000 takes 16 s, so an unbounded number is a hang.
const MaxNumberExponent = 3322

// LimitError is the error of a function call or a value that exceeds a limit. Its message
// says which limit and never quotes the value, so it is shown even when an argument is
// sensitive.
type LimitError struct{ Msg string }

// Error implements error.
func (e *LimitError) Error() string { return e.Msg }

func limitErrorf(format string, args ...any) error {
	return &LimitError{Msg: fmt.Sprintf(format, args...)}
}

// SizeText renders a byte count for limit messages: "16 MiB", "512 KiB", "100 bytes".
func SizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadRegular reads path when it is a regular file of at most max bytes. It opens the file
// without blocking, so a named pipe cannot make it wait forever for a writer, checks what it
// opened, and never reads more than max+1 bytes, so a device like /dev/zero or a huge file
// cannot fill memory. Errors are *os.PathError values whose Err says what is wrong.
func ReadRegular(path string, max int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: path, Err: errors.New(notRegular(info.Mode()))}
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	if len(data) > max {
		return nil, &os.PathError{Op: "read", Path: path,
			Err: &LimitError{Msg: fmt.Sprintf("it is larger than %s, the limit for one file", SizeText(max))}}
	}
	return data, nil
}

// notRegular says what a file that is not a regular file is.
func notRegular(m fs.FileMode) string {
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return "it is " + kind + ", not a regular file; only regular files are read, so that a pipe or a device cannot make bucketform hang or fill its memory"
}

// Measure checks v against the limits: the bytes of its strings (and numbers, counted by
// their digits), its number of elements and how deeply it nests. It walks v without recursion
// and stops at the first limit exceeded.
func Measure(v cty.Value, lim Limits) error {
	lim = lim.withDefaults()
	type item struct {
		v     cty.Value
		depth int
	}
	stack := []item{{v, 1}}
	bytes, elems := 0, 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		v := it.v
		if v.IsMarked() {
			v, _ = v.Unmark()
		}
		elems++
		if elems > lim.Elements {
			return limitErrorf("the value has more than %d elements, the limit for one value", lim.Elements)
		}
		if it.depth > lim.Depth {
			return limitErrorf("the value nests more than %d levels deep, the limit for one value", lim.Depth)
		}
		if !v.IsKnown() || v.IsNull() {
			continue
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			bytes += len(v.AsString())
		case ty == cty.Number:
			if err := checkNumber(v); err != nil {
				return err
			}
			bytes += 8
		case ty.IsListType() || ty.IsSetType() || ty.IsMapType() || ty.IsTupleType() || ty.IsObjectType():
			if n := v.LengthInt(); elems+len(stack)+n > lim.Elements {
				return limitErrorf("the value has more than %d elements, the limit for one value", lim.Elements)
			}
			for e := v.ElementIterator(); e.Next(); {
				k, ev := e.Element()
				if ty.IsMapType() || ty.IsObjectType() {
					bytes += len(k.AsString())
				}
				stack = append(stack, item{ev, it.depth + 1})
			}
		}
		if bytes > lim.Bytes {
			return limitErrorf("the value is larger than %s, the limit for one value", SizeText(lim.Bytes))
		}
	}
	return nil
}

// checkNumber refuses a known number beyond MaxNumberExponent.
func checkNumber(v cty.Value) error {
	f := v.AsBigFloat()
	if f.IsInf() || f.Sign() == 0 {
		return nil
	}
	if e := f.MantExp(nil); e > MaxNumberExponent || e < -MaxNumberExponent {
		return limitErrorf("the number is too large or too small: numbers are limited to magnitudes from 1e-1000 to 1e1000")
	}
	return nil
}

// CheckNumberLiteral reports whether a number literal of the source is within
// MaxNumberExponent.
func CheckNumberLiteral(text string) error {
	f, _, err := big.ParseFloat(text, 10, 64, big.ToNearestEven)
	if err != nil {
		return nil // not a number HCL reads either: the parser reports it
	}
	return checkNumber(cty.NumberVal(f))
}

// bounded wraps f so that its result is checked against the limits, and so that the
// functions whose result can be far larger than their arguments (join, format, replace,
// indent, setproduct, flatten, jsonencode, split) refuse before they build it.
func bounded(name string, f function.Function, lim Limits) function.Function {
	pre := preChecks[name]
	var varParam *function.Parameter
	if vp := f.VarParam(); vp != nil {
		c := *vp
		varParam = &c
	}
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    varParam,
		// Some functions do their work when asked for their type (jsondecode decodes the
		// document to learn it), so the checks run there too.
		Type: func(args []cty.Value) (cty.Type, error) {
			if pre != nil {
				if err := pre(args, lim); err != nil {
					return cty.NilType, err
				}
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			return v, checkResult(v, lim)
		},
	})
}

// checkResult checks the top level of a function's result: a string's length, a collection's
// number of elements, a number's magnitude. Deeper levels were built from checked parts.
func checkResult(v cty.Value, lim Limits) error {
	if v.IsMarked() {
		v, _ = v.Unmark()
	}
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if len(v.AsString()) > lim.Bytes {
			return limitErrorf("the result would be larger than %s, the limit for one value", SizeText(lim.Bytes))
		}
	case ty == cty.Number:
		return checkNumber(v)
	case ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType():
		if v.LengthInt() > lim.Elements {
			return limitErrorf("the result would have more than %d elements, the limit for one value", lim.Elements)
		}
	}
	return nil
}

// preChecks estimate the size of a result before it is built, for the functions whose result
// can be much larger than their arguments. Arguments are unmarked; unknown and null ones are
// left to the function.
var preChecks = map[string]func(args []cty.Value, lim Limits) error{
	"join":       checkJoin,
	"format":     checkFormat,
	"formatlist": checkFormat,
	"replace":    checkReplace,
	"indent":     checkIndent,
	"setproduct": checkSetProduct,
	"flatten":    func(args []cty.Value, lim Limits) error { return measureArgs(args, lim) },
	"jsonencode": func(args []cty.Value, lim Limits) error { return measureArgs(args, lim) },
	"jsondecode": checkJSONDepth,
	"split":      checkSplit,
}

func known(vs ...cty.Value) bool {
	for _, v := range vs {
		if !v.IsWhollyKnown() || v.IsNull() {
			return false
		}
	}
	return true
}

func tooLarge(lim Limits) error {
	return limitErrorf("the result would be larger than %s, the limit for one value", SizeText(lim.Bytes))
}

func measureArgs(args []cty.Value, lim Limits) error {
	for _, a := range args {
		if err := Measure(a, lim); err != nil {
			return err
		}
	}
	return nil
}

func checkJoin(args []cty.Value, lim Limits) error {
	if len(args) == 0 || !known(args[0]) {
		return nil
	}
	sep := len(args[0].AsString())
	total := 0
	for _, list := range args[1:] {
		if !known(list) || !(list.Type().IsListType() || list.Type().IsTupleType() || list.Type().IsSetType()) {
			continue
		}
		for it := list.ElementIterator(); it.Next(); {
			_, e := it.Element()
			total += sep
			if e.Type() == cty.String && e.IsKnown() && !e.IsNull() {
				total += len(e.AsString())
			}
			if total > lim.Bytes {
				return tooLarge(lim)
			}
		}
	}
	return nil
}

// formatWidths finds the widths and precisions of format verbs: %10s, %-8d, %.3f, %[2]08d.
var formatWidths = regexp.MustCompile(`%(?:\[\d+\])?[-+ #0]*(\d*)(?:\.(\d*))?`)

func checkFormat(args []cty.Value, lim Limits) error {
	if len(args) == 0 || !known(args[0]) || args[0].Type() != cty.String {
		return nil
	}
	for _, m := range formatWidths.FindAllStringSubmatch(args[0].AsString(), -1) {
		for _, num := range m[1:] {
			if num == "" {
				continue
			}
			if n, err := strconv.Atoi(num); err != nil || n > lim.Bytes {
				return limitErrorf("a width or precision in the format is larger than %s, the limit for one value", SizeText(lim.Bytes))
			}
		}
	}
	if len(args) > 1 {
		return measureArgs(args[1:], lim)
	}
	return nil
}

func checkReplace(args []cty.Value, lim Limits) error {
	if len(args) != 3 || !known(args...) {
		return nil
	}
	s, search, repl := args[0].AsString(), args[1].AsString(), args[2].AsString()
	var matches int
	perMatch := float64(len(repl))
	if len(search) > 1 && search[0] == '/' && search[len(search)-1] == '/' {
		re, err := regexp.Compile(search[1 : len(search)-1])
		if err != nil {
			return nil // the function reports it
		}
		matches = len(re.FindAllStringIndex(s, -1))
		// Each $1 or ${name} of the replacement can expand to a whole match.
		perMatch += float64(strings.Count(repl, "$")) * float64(len(s))
	} else {
		if search == "" {
			matches = utf8.RuneCountInString(s) + 1
		} else {
			matches = strings.Count(s, search)
		}
	}
	if float64(len(s))+float64(matches)*perMatch > float64(lim.Bytes) {
		return tooLarge(lim)
	}
	return nil
}

func checkIndent(args []cty.Value, lim Limits) error {
	if len(args) != 2 || !known(args...) {
		return nil
	}
	spaces, _ := args[0].AsBigFloat().Float64()
	s := args[1].AsString()
	if float64(len(s))+math.Abs(spaces)*float64(strings.Count(s, "\n")+1) > float64(lim.Bytes) {
		return tooLarge(lim)
	}
	return nil
}

func checkSetProduct(args []cty.Value, lim Limits) error {
	product := 1.0
	for _, a := range args {
		if !known(a) || !(a.Type().IsCollectionType() || a.Type().IsTupleType()) {
			return nil
		}
		product *= float64(a.LengthInt())
	}
	if product > float64(lim.Elements) {
		return limitErrorf("the result would have more than %d elements, the limit for one value", lim.Elements)
	}
	return nil
}

func checkSplit(args []cty.Value, lim Limits) error {
	if len(args) != 2 || !known(args...) {
		return nil
	}
	sep, s := args[0].AsString(), args[1].AsString()
	n := strings.Count(s, sep) + 1
	if n > lim.Elements {
		return limitErrorf("the result would have more than %d elements, the limit for one value", lim.Elements)
	}
	return nil
}

// checkJSONDepth refuses a JSON document that nests deeper than the limit before it is
// decoded: decoding recurses once per level.
func checkJSONDepth(args []cty.Value, lim Limits) error {
	if len(args) != 1 || !known(args[0]) || args[0].Type() != cty.String {
		return nil
	}
	s := args[0].AsString()
	depth, inString, escaped := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > lim.Depth {
				return limitErrorf("the JSON document nests more than %d levels deep, the limit for one value", lim.Depth)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}
