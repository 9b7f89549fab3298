package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/funcs"
)

// Limits on what one Load reads and evaluates. Real configurations stay far below them; they
// exist so that hostile or broken input ends in a located error instead of a Go runtime crash
// (stack overflow, out of memory) or a hang. Each error that reports one names it.
const (
	// MaxFileBytes is the size of one file: a configuration file, a variable file, a file read
	// with file(), or one -var value.
	MaxFileBytes = 8 << 20
	// MaxTotalBytes is the size of everything one Load reads: configuration files, variable
	// files and file() reads (a file read several times counts once).
	MaxTotalBytes = 64 << 20
	// MaxNesting is how many brackets, braces, parentheses and templates may be open at once.
	// The parser and the evaluator recurse once per level.
	MaxNesting = 256
	// MaxChain is how many operators (+ - * / % ! == && || ? . and the like) may be chained
	// within the open levels of an expression: a+b+c is one level per operator for the
	// evaluator.
	MaxChain = 1024
	// MaxValueBytes is the size of one evaluated value: its strings, keys and numbers.
	MaxValueBytes = 16 << 20
	// MaxValueElements is the number of elements of one evaluated value, counted at every level.
	MaxValueElements = 1_000_000
	// MaxValueDepth is how deeply one evaluated value may nest.
	MaxValueDepth = 256
)

// valueLimits are the limits of evaluated values, for the function table and checkValue.
var valueLimits = funcs.Limits{Bytes: MaxValueBytes, Elements: MaxValueElements, Depth: MaxValueDepth}

// limitsText documents the limits in details of diagnostics that report one.
var limitsText = fmt.Sprintf("bucketform reads files of at most %s (%s in all), nested at most %d levels deep with at most %d chained operators, and evaluates values of at most %s and %d elements.",
	funcs.SizeText(MaxFileBytes), funcs.SizeText(MaxTotalBytes), MaxNesting, MaxChain, funcs.SizeText(MaxValueBytes), MaxValueElements)

// ReadSource reads a configuration or variable file for parsing: only a regular file (never a
// pipe or a device, which could hang or never end) of at most MaxFileBytes. The error says
// which rule failed and how to fix it, without the "op path:" prefix.
func ReadSource(path string) ([]byte, error) {
	b, err := funcs.ReadRegular(path, MaxFileBytes)
	if err != nil {
		var limit *funcs.LimitError
		if errors.As(err, &limit) {
			return nil, fmt.Errorf("%s. Split it into several files; %s", limit.Msg, limitsText)
		}
		return nil, errors.New(errText(err))
	}
	return b, nil
}

// CheckSource reports where src nests deeper than MaxNesting, chains more than MaxChain
// operators or writes a number beyond funcs.MaxNumberExponent. Call it before parsing: HCL's
// parser recurses once per level and would crash with a stack overflow on deep input. It
// reports only the first problem.
func CheckSource(src []byte, filename string, expression bool) hcl.Diagnostics {
	return checkSource(src, filename, hcl.InitialPos, expression)
}

// checkSource is CheckSource for src starting at start.
func checkSource(src []byte, filename string, start hcl.Pos, expression bool) hcl.Diagnostics {
	var tokens hclsyntax.Tokens
	if expression {
		tokens, _ = hclsyntax.LexExpression(src, filename, start)
	} else {
		tokens, _ = hclsyntax.LexConfig(src, filename, start)
	}
	return checkTokens(tokens)
}

// level is one open bracket, brace, parenthesis or template while tokens are checked.
type level struct {
	open  hclsyntax.TokenType
	chain int // operators since the last separator at this level
}

// checkTokens is CheckSource on lexed tokens. The lexer does not recurse, so this is safe on
// any input.
func checkTokens(tokens hclsyntax.Tokens) hcl.Diagnostics {
	stack := []level{{}}
	chain := 0 // the sum of the chains of the open levels
	for i := range tokens {
		tok := &tokens[i]
		top := &stack[len(stack)-1]
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenTemplateControl,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp:
			if tok.Type != hclsyntax.TokenOQuote && tok.Type != hclsyntax.TokenOHeredoc && tok.Type != hclsyntax.TokenTemplateInterp {
				// An index, a call or a directive nests the expression it follows.
				top.chain++
				chain++
			}
			stack = append(stack, level{open: tok.Type})
			if chain > MaxChain {
				return limitDiag(tok.Range, "Expression too long",
					fmt.Sprintf("More than %d operators, indexes and calls are chained in this expression. Split it into several local values.", MaxChain))
			}
			if len(stack)-1 > MaxNesting {
				return limitDiag(tok.Range, "Configuration nested too deeply",
					fmt.Sprintf("More than %d brackets, braces, parentheses and templates are open here. Write the value in several parts (locals), or load it with jsondecode(file(...)).", MaxNesting))
			}
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenTemplateSeqEnd,
			hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc:
			if len(stack) > 1 {
				chain -= top.chain
				stack = stack[:len(stack)-1]
			}
		case hclsyntax.TokenComma, hclsyntax.TokenEqual:
			chain -= top.chain
			top.chain = 0
		case hclsyntax.TokenNewline:
			// Newlines separate items in bodies and objects, not inside ( ) and [ ].
			if top.open == hclsyntax.TokenNil || top.open == hclsyntax.TokenOBrace {
				chain -= top.chain
				top.chain = 0
			}
		case hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenStar, hclsyntax.TokenSlash, hclsyntax.TokenPercent,
			hclsyntax.TokenBang, hclsyntax.TokenAnd, hclsyntax.TokenOr, hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual,
			hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq, hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq,
			hclsyntax.TokenQuestion, hclsyntax.TokenDot, hclsyntax.TokenEllipsis, hclsyntax.TokenFatArrow:
			top.chain++
			chain++
			if chain > MaxChain {
				return limitDiag(tok.Range, "Expression too long",
					fmt.Sprintf("More than %d operators, indexes and calls are chained in this expression. Split it into several local values.", MaxChain))
			}
		case hclsyntax.TokenNumberLit:
			if err := funcs.CheckNumberLiteral(string(tok.Bytes)); err != nil {
				return limitDiag(tok.Range, "Number too large", err.Error()+".")
			}
		}
	}
	return nil
}

func limitDiag(rng hcl.Range, summary, detail string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail + " " + limitsText, Subject: &rng}}
}

// reader reads the files of one Load within MaxTotalBytes. file() of the same path is read
// once. It is safe for concurrent use (for_each instances are evaluated concurrently).
type reader struct {
	mu    sync.Mutex
	total int
	cache map[string][]byte
}

// read reads path with ReadSource rules and counts it against the total.
func (r *reader) read(path string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	if b, ok := r.cache[key]; ok {
		return b, nil
	}
	b, err := funcs.ReadRegular(path, MaxFileBytes)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		var limit *funcs.LimitError
		if errors.As(err, &limit) {
			return nil, fmt.Errorf("%s; %s", limit.Msg, limitsText)
		}
		return nil, err
	}
	if r.total+len(b) > MaxTotalBytes {
		return nil, &funcs.LimitError{Msg: fmt.Sprintf("reading it would take the files read by this configuration over %s in all; %s", funcs.SizeText(MaxTotalBytes), limitsText)}
	}
	r.total += len(b)
	if r.cache == nil {
		r.cache = map[string][]byte{}
	}
	r.cache[key] = b
	return b, nil
}

// checkValue reports an error at rng when v exceeds the value limits, and says whether it is
// within them.
func (l *loader) checkValue(v cty.Value, rng hcl.Range) bool {
	if err := funcs.Measure(v, valueLimits); err != nil {
		l.errorf(rng, "Value too large", "%s. %s", upperFirst(err.Error()), limitsText)
		return false
	}
	return true
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
