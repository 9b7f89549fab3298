// Package funcs is the function table of the bucketform language: Terraform's function names,
// backed by cty's standard library and HCL's try/can where those exist, plus env() and file().
package funcs

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Options configure the functions that touch the outside world.
type Options struct {
	// BaseDir is the directory file() resolves relative paths against.
	BaseDir string
	// LookupEnv reads an environment variable for env(). Nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Partial makes env() of an unset variable return an unknown string instead of an error.
	Partial bool
	// SecretMark, when not nil, marks the values env() returns for names that look like
	// secrets (see IsSecretName), so they cannot flow unnoticed into a non-sensitive output.
	// Any function whose arguments carry a mark hides the details of its errors, so a marked
	// value never appears in an error message.
	SecretMark any
	// SecretName, when not nil, names more variables whose values SecretMark marks: those the
	// configuration reads as a secret_key somewhere, whatever their names look like.
	SecretName func(name string) bool
	// ExternalMark, when not nil, marks every value env() and file() return: it came from
	// outside the configuration's text, so diagnostics must name the expression instead of
	// quoting the value.
	ExternalMark any
	// ReadFile reads the file file() names (an absolute path). Nil means a reader that takes
	// only regular files of at most Limits.Bytes bytes.
	ReadFile func(path string) ([]byte, error)
	// Limits bound what one function call may produce. Zero fields mean DefaultLimits.
	Limits Limits
}

// Limits bound the values functions build, so that a configuration cannot make bucketform run
// out of memory or time: a call whose result would be larger fails with an error saying which
// limit it hit.
type Limits struct {
	// Bytes is the size of a string result (and of the strings a call combines).
	Bytes int
	// Elements is the number of elements of a collection result.
	Elements int
	// Depth is how deeply a jsondecode document may nest.
	Depth int
}

// DefaultLimits are the limits used where Options.Limits leaves a field zero.
var DefaultLimits = Limits{Bytes: 16 << 20, Elements: 1_000_000, Depth: 256}

func (l Limits) withDefaults() Limits {
	if l.Bytes <= 0 {
		l.Bytes = DefaultLimits.Bytes
	}
	if l.Elements <= 0 {
		l.Elements = DefaultLimits.Elements
	}
	if l.Depth <= 0 {
		l.Depth = DefaultLimits.Depth
	}
	return l
}

// Table returns the function table, keyed by the names the language uses.
func Table(opts Options) map[string]function.Function {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	limits := opts.Limits.withDefaults()
	read := opts.ReadFile
	if read == nil {
		read = func(path string) ([]byte, error) { return readRegular(path, limits.Bytes) }
	}
	fns := map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"base64decode":    Base64DecodeFunc,
		"base64encode":    Base64EncodeFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"endswith":        EndsWithFunc,
		"env":             EnvFunc(lookup, opts.Partial, opts.SecretMark, opts.ExternalMark, opts.SecretName),
		"file":            FileFunc(opts.BaseDir, read, opts.ExternalMark),
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"startswith":      StartsWithFunc,
		"strcontains":     StrContainsFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          ToCollectionFunc(cty.List),
		"tomap":           ToCollectionFunc(cty.Map),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           ToCollectionFunc(cty.Set),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
	for name, f := range fns {
		fns[name] = hideMarkedErrors(bounded(name, f, limits))
	}
	// try and can take unevaluated expressions; they must not be wrapped.
	fns["try"] = tryfunc.TryFunc
	fns["can"] = tryfunc.CanFunc
	return fns
}

// secretWords are the parts of an environment variable name that make env() mark its value.
var secretWords = []string{"SECRET", "PASSWORD", "PASSWD", "TOKEN", "PRIVATE_KEY", "API_KEY", "CREDENTIAL"}

// IsSecretName reports whether an environment variable name looks like it holds a secret, like
// MINIO_SECRET_KEY or MINIO_ROOT_PASSWORD.
func IsSecretName(name string) bool {
	upper := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(upper, w) {
			return true
		}
	}
	return false
}

// EnvFunc returns env(NAME) and env(NAME, DEFAULT). An unset variable without a default is an
// error, or an unknown string when partial is set. Values of secret-looking names carry mark;
// every value read from the environment carries external (when not nil).
//
// secretName, when not nil, names more secret variables (those read as a secret_key).
func EnvFunc(lookup func(string) (string, bool), partial bool, mark, external any, secretName func(string) bool) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default when it is unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type: func(args []cty.Value) (cty.Type, error) {
			if len(args) > 2 {
				return cty.NilType, function.NewArgErrorf(2, "env takes a name and at most one default value")
			}
			return cty.String, nil
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			secret := mark != nil && (IsSecretName(name) || (secretName != nil && secretName(name)))
			withMark := func(v cty.Value) cty.Value {
				if external != nil {
					v = v.Mark(external)
				}
				if secret {
					return v.Mark(mark)
				}
				return v
			}
			if name == "" {
				return cty.NilVal, function.NewArgErrorf(0, "the environment variable name is empty")
			}
			if v, ok := lookup(name); ok {
				return withMark(cty.StringVal(v)), nil
			}
			if len(args) == 2 {
				// The default of a secret's variable is a secret too.
				if secret {
					return args[1].Mark(mark), nil
				}
				return args[1], nil
			}
			if partial {
				return withMark(cty.UnknownVal(cty.String)), nil
			}
			return cty.NilVal, fmt.Errorf("environment variable %q is not set; set it, or give a default with env(%q, \"DEFAULT\")", name, name)
		},
	})
}

// FileFunc returns file(PATH): the contents of a UTF-8 text file, with a relative PATH taken
// from baseDir and read with read. The value carries external (when not nil). Error messages
// name the path as written, never the contents.
func FileFunc(baseDir string, read func(path string) ([]byte, error), external any) function.Function {
	return function.New(&function.Spec{
		Description: "Reads the contents of a UTF-8 text file; a relative path is taken from the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if p == "" {
				return cty.NilVal, function.NewArgErrorf(0, "the path is empty")
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(baseDir, p)
			}
			b, err := read(p)
			if err != nil {
				return cty.NilVal, fmt.Errorf("cannot read %s: %w", args[0].AsString(), err)
			}
			if !utf8.Valid(b) {
				return cty.NilVal, fmt.Errorf("%s is not valid UTF-8 text", args[0].AsString())
			}
			v := cty.StringVal(string(b))
			if external != nil {
				v = v.Mark(external)
			}
			return v, nil
		},
	})
}

// readRegular reads path when it is a regular file of at most max bytes. It opens without
// blocking, so a named pipe cannot make it wait for a writer, and it never reads more than
// max+1 bytes, so a device like /dev/zero cannot fill memory.
func readRegular(path string, max int) ([]byte, error) {
	b, err := ReadRegular(path, max)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return nil, pe.Err
	}
	return b, err
}

// LengthFunc is Terraform's length: the number of characters of a string, or the number of
// elements of a list, set, map, tuple or object.
var LengthFunc = function.New(&function.Spec{
	Description: "Returns the number of characters of a string or the number of elements of a collection.",
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.String, ty == cty.DynamicPseudoType, ty.IsCollectionType(), ty.IsTupleType(), ty.IsObjectType():
			return cty.Number, nil
		}
		return cty.NilType, function.NewArgErrorf(0, "argument must be a string, a collection or a structural type")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		ty := v.Type()
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.UnknownVal(cty.Number), nil
		case ty.IsTupleType():
			return cty.NumberIntVal(int64(len(ty.TupleElementTypes()))), nil
		case ty.IsObjectType():
			return cty.NumberIntVal(int64(len(ty.AttributeTypes()))), nil
		case ty == cty.String:
			if !v.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			return stdlib.Strlen(v)
		}
		return v.Length(), nil
	},
})

// IndexFunc is Terraform's index(list, value): the position of the first element equal to value.
var IndexFunc = function.New(&function.Spec{
	Description: "Returns the index of the first element of a list or tuple that equals the given value.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
		{Name: "value", Type: cty.DynamicPseudoType},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) && ty != cty.DynamicPseudoType {
			return cty.NilType, function.NewArgErrorf(0, "argument must be a list or tuple")
		}
		return cty.Number, nil
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].LengthInt() == 0 {
			return cty.NilVal, function.NewArgErrorf(0, "cannot search an empty list")
		}
		i := 0
		for it := args[0].ElementIterator(); it.Next(); i++ {
			_, v := it.Element()
			eq, err := stdlib.Equal(v, args[1])
			if err != nil {
				return cty.NilVal, err
			}
			if !eq.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			if eq.True() {
				return cty.NumberIntVal(int64(i)), nil
			}
		}
		return cty.NilVal, errors.New("the value is not in the list")
	},
})

// LookupFunc is Terraform's lookup(map, key[, default]) for maps and objects.
var LookupFunc = function.New(&function.Spec{
	Description: "Returns the element of a map with the given key, or the default when there is none.",
	Params: []function.Parameter{
		{Name: "map", Type: cty.DynamicPseudoType},
		{Name: "key", Type: cty.String},
	},
	VarParam: &function.Parameter{Name: "default", Type: cty.DynamicPseudoType, AllowNull: true},
	Type: func(args []cty.Value) (cty.Type, error) {
		switch len(args) {
		case 2:
		case 3:
			return stdlib.LookupFunc.ReturnTypeForValues(args)
		default:
			return cty.NilType, function.NewArgErrorf(3, "lookup takes a map, a key and at most one default")
		}
		ty := args[0].Type()
		switch {
		case ty.IsMapType():
			return ty.ElementType(), nil
		case ty.IsObjectType():
			if !args[1].IsKnown() {
				return cty.DynamicPseudoType, nil
			}
			key := args[1].AsString()
			if !ty.HasAttribute(key) {
				return cty.NilType, function.NewArgErrorf(1, "the object has no attribute %q; give lookup a default", key)
			}
			return ty.AttributeType(key), nil
		}
		return cty.NilType, function.NewArgErrorf(0, "lookup takes a map or an object")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if len(args) == 3 {
			return stdlib.Lookup(args[0], args[1], args[2])
		}
		if args[0].Type().IsObjectType() {
			return args[0].GetAttr(args[1].AsString()), nil
		}
		if !args[0].IsKnown() {
			return cty.UnknownVal(args[0].Type().ElementType()), nil
		}
		if !args[0].HasIndex(args[1]).True() {
			return cty.NilVal, function.NewArgErrorf(1, "the map has no element %q; give lookup a default", args[1].AsString())
		}
		return args[0].Index(args[1]), nil
	},
})

// CoalesceFunc is Terraform's coalesce: the first argument that is neither null nor an empty
// string.
var CoalesceFunc = function.New(&function.Spec{
	Description: "Returns the first argument that is neither null nor an empty string.",
	VarParam: &function.Parameter{
		Name: "vals", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true,
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		types := make([]cty.Type, len(args))
		for i, a := range args {
			types[i] = a.Type()
		}
		ty, _ := convert.UnifyUnsafe(types)
		if ty == cty.NilType {
			return cty.NilType, errors.New("all arguments must have the same type")
		}
		return ty, nil
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		for _, a := range args {
			v, err := convert.Convert(a, retType)
			if err != nil {
				return cty.NilVal, err
			}
			if !v.IsKnown() {
				return cty.UnknownVal(retType), nil
			}
			if v.IsNull() || v.Type() == cty.String && v.AsString() == "" {
				continue
			}
			return v, nil
		}
		return cty.NilVal, errors.New("every argument is null or an empty string")
	},
})

// ReplaceFunc is Terraform's replace(string, search, replacement): search written as /RE/ is a
// regular expression, otherwise a plain substring.
var ReplaceFunc = function.New(&function.Spec{
	Description: "Replaces each occurrence of a substring, or of a /regular expression/, in a string.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "search", Type: cty.String},
		{Name: "replace", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		search := args[1].AsString()
		if len(search) > 1 && search[0] == '/' && search[len(search)-1] == '/' {
			re, err := regexp.Compile(search[1 : len(search)-1])
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(1, "invalid regular expression: %s", err)
			}
			return cty.StringVal(re.ReplaceAllString(args[0].AsString(), args[2].AsString())), nil
		}
		return stdlib.Replace(args[0], args[1], args[2])
	},
})

func stringPredicate(desc string, pred func(s, part string) bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params:      []function.Parameter{{Name: "str", Type: cty.String}, {Name: "part", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(pred(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// StartsWithFunc is startswith(string, prefix).
var StartsWithFunc = stringPredicate("Reports whether a string starts with a prefix.", strings.HasPrefix)

// EndsWithFunc is endswith(string, suffix).
var EndsWithFunc = stringPredicate("Reports whether a string ends with a suffix.", strings.HasSuffix)

// StrContainsFunc is strcontains(string, substring).
var StrContainsFunc = stringPredicate("Reports whether a string contains a substring.", strings.Contains)

// Base64EncodeFunc is base64encode(string), standard encoding with padding.
var Base64EncodeFunc = function.New(&function.Spec{
	Description: "Encodes a string with standard Base64.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

// Base64DecodeFunc is base64decode(string); the decoded bytes must be UTF-8 text.
var Base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes a standard Base64 string into UTF-8 text.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "the string is not valid Base64")
		}
		if !utf8.Valid(b) {
			return cty.NilVal, function.NewArgErrorf(0, "the decoded bytes are not UTF-8 text")
		}
		return cty.StringVal(string(b)), nil
	},
})

// ToCollectionFunc is tolist, toset or tomap, made by collection (cty.List, cty.Set or
// cty.Map). A tuple (an object, for maps) whose elements all have the same primitive type
// converts directly; anything else goes through cty's general conversion, which unifies the
// element types pairwise and so takes time quadratic in the number of elements — minutes for
// toset() of a list of ten thousand names.
func ToCollectionFunc(collection func(cty.Type) cty.Type) function.Function {
	general := stdlib.MakeToFunc(collection(cty.DynamicPseudoType))
	isMap := collection(cty.String).IsMapType()
	return function.New(&function.Spec{
		Description: general.Description(),
		Params:      general.Params(),
		Type: func(args []cty.Value) (cty.Type, error) {
			if ety, ok := uniformElements(args[0], isMap); ok {
				return collection(ety), nil
			}
			return general.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			v := args[0]
			if _, ok := uniformElements(v, isMap); !ok || v.IsNull() || !v.IsKnown() {
				return general.Call(args)
			}
			for it := v.ElementIterator(); it.Next(); {
				if _, e := it.Element(); e.IsNull() {
					return general.Call(args)
				}
			}
			switch {
			case isMap:
				return cty.MapVal(v.AsValueMap()), nil
			case retType.IsSetType():
				return cty.SetVal(v.AsValueSlice()), nil
			}
			return cty.ListVal(v.AsValueSlice()), nil
		},
	})
}

// uniformElements reports the element type of a tuple (an object, when toMap) whose elements
// all have one primitive type.
func uniformElements(v cty.Value, toMap bool) (cty.Type, bool) {
	ty := v.Type()
	var types []cty.Type
	switch {
	case !toMap && ty.IsTupleType():
		types = ty.TupleElementTypes()
	case toMap && ty.IsObjectType():
		for _, at := range ty.AttributeTypes() {
			types = append(types, at)
		}
	default:
		return cty.NilType, false
	}
	if len(types) == 0 || !types[0].IsPrimitiveType() {
		return cty.NilType, false
	}
	for _, t := range types[1:] {
		if !t.Equals(types[0]) {
			return cty.NilType, false
		}
	}
	return types[0], true
}

// hideMarkedErrors wraps f so that it accepts marked arguments, calls f with them unmarked,
// marks the result with every mark of the arguments, and replaces the message of any error by a
// neutral one when an argument was marked: error messages of some functions quote their
// arguments, and a marked value (a secret, a presigned URL) must never reach a diagnostic.
func hideMarkedErrors(f function.Function) function.Function {
	params := f.Params()
	for i := range params {
		params[i].AllowMarked = true
	}
	var varParam *function.Parameter
	if vp := f.VarParam(); vp != nil {
		c := *vp
		c.AllowMarked = true
		varParam = &c
	}
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      params,
		VarParam:    varParam,
		Type: func(args []cty.Value) (cty.Type, error) {
			plain, marks := unmarkArgs(args)
			ty, err := f.ReturnTypeForValues(plain)
			if err != nil && len(marks) > 0 {
				err = hidden(err)
			}
			return ty, err
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			plain, marks := unmarkArgs(args)
			v, err := f.Call(plain)
			if err != nil {
				if len(marks) > 0 {
					return cty.NilVal, hidden(err)
				}
				return cty.NilVal, err
			}
			return v.WithMarks(marks...), nil
		},
	})
}

// ContainsMarked reports whether v or anything in it is marked, like v.ContainsMarked, but
// without looking into sets: cty keeps the marks of set elements on the set itself, and
// walking a set sorts it first, which is slow for large sets.
func ContainsMarked(v cty.Value) bool {
	if v.IsMarked() {
		return true
	}
	ty := v.Type()
	if ty.IsPrimitiveType() || ty.IsSetType() || ty.IsCapsuleType() || !v.IsKnown() || v.IsNull() {
		return false
	}
	if ty.IsListType() || ty.IsMapType() || ty.IsTupleType() || ty.IsObjectType() {
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); ContainsMarked(e) {
				return true
			}
		}
	}
	return false
}

func unmarkArgs(args []cty.Value) ([]cty.Value, []cty.ValueMarks) {
	var marks []cty.ValueMarks
	plain := args
	for i, a := range args {
		if !ContainsMarked(a) {
			continue
		}
		if len(marks) == 0 {
			plain = append([]cty.Value(nil), args...)
		}
		u, m := a.UnmarkDeep()
		plain[i] = u
		marks = append(marks, m)
	}
	return plain, marks
}

// hidden replaces err's message, keeping which argument it is about. A LimitError is kept as
// it is: it never quotes a value.
func hidden(err error) error {
	var limit *LimitError
	if errors.As(err, &limit) {
		return err // says which limit, never the value
	}
	const msg = "an argument holds a sensitive value or one read from a file or the environment, so the details of this error are hidden"
	var argErr function.ArgError
	if errors.As(err, &argErr) {
		return function.NewArgErrorf(argErr.Index, msg)
	}
	return errors.New(msg)
}
