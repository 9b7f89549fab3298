package config

import (
	"bytes"
	"runtime"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// chunkSize is the size of the pieces a large file is parsed in. HCL's lexer keeps every token
// of what it parses in one growing slice; pieces of this size keep that slice small and let the
// pieces be parsed in parallel.
const chunkSize = 32 << 10

// parseFile parses src as HCL native syntax. A file larger than two chunks is split between
// its top-level items into pieces that are parsed concurrently and merged into one body. When
// anything about the pieces is wrong (a piece fails to parse, or two define the same
// argument), the whole file is parsed at once, so diagnostics are always exactly HCL's.
//
// Before anything is parsed it is checked against the nesting limits (CheckSource), piece by
// piece where there are pieces: pieces start at the top level, where nothing is open. A file
// that fails the check is returned with its source and an empty body.
func parseFile(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	whole := func() (*hcl.File, hcl.Diagnostics) {
		if diags := checkSource(src, filename, hcl.InitialPos, false); diags.HasErrors() {
			return &hcl.File{Body: hcl.EmptyBody(), Bytes: src}, diags
		}
		return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	if len(src) < 2*chunkSize {
		return whole()
	}
	starts := chunkStarts(src)
	if len(starts) < 2 {
		return whole()
	}
	bodies := make([]*hclsyntax.Body, len(starts))
	failed := make([]bool, len(starts))
	checks := make([]hcl.Diagnostics, len(starts))
	var wg sync.WaitGroup
	next := make(chan int, len(starts))
	for i := range starts {
		next <- i
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), len(starts)) {
		wg.Go(func() {
			for i := range next {
				end := len(src)
				if i+1 < len(starts) {
					end = starts[i+1].Byte
				}
				if checks[i] = checkSource(src[starts[i].Byte:end], filename, starts[i], false); checks[i].HasErrors() {
					failed[i] = true
					continue
				}
				f, diags := hclsyntax.ParseConfig(src[starts[i].Byte:end], filename, starts[i])
				body, ok := f.Body.(*hclsyntax.Body)
				bodies[i], failed[i] = body, diags.HasErrors() || !ok
			}
		})
	}
	wg.Wait()
	for _, diags := range checks {
		if diags.HasErrors() {
			return &hcl.File{Body: hcl.EmptyBody(), Bytes: src}, diags
		}
	}
	merged := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}}
	for i, b := range bodies {
		if failed[i] {
			// Checked again whole: a piece boundary guessed wrong could have hidden depth.
			return whole()
		}
		for name, attr := range b.Attributes {
			if merged.Attributes[name] != nil {
				return whole()
			}
			merged.Attributes[name] = attr
		}
		merged.Blocks = append(merged.Blocks, b.Blocks...)
	}
	last := bodies[len(bodies)-1]
	merged.SrcRange = hcl.Range{Filename: filename, Start: bodies[0].SrcRange.Start, End: last.SrcRange.End}
	merged.EndRange = last.EndRange
	return &hcl.File{Body: merged, Bytes: src}, nil
}

// chunkStarts returns where the pieces of src start: the first is the start of the file, the
// others are starts of lines at the top level (outside any bracket, string, heredoc or
// comment), about chunkSize apart. When the scan meets something it does not understand it
// returns what it has so far; a wrong guess only makes a piece fail to parse, which parseFile
// notices.
func chunkStarts(src []byte) []hcl.Pos {
	starts := []hcl.Pos{hcl.InitialPos}
	line := 1
	// stack holds the bracket depth of each code level: the file, then one level per
	// interpolation ${...} or %{...} inside a string.
	stack := []int{0}
	inString := []bool{false}
	i := 0
	for i < len(src) {
		top := len(stack) - 1
		c := src[i]
		if inString[top] {
			switch {
			case c == '\\':
				i += 2
				continue
			case c == '"':
				stack, inString = stack[:top], inString[:top]
			case c == '\n':
				return starts // a quoted string does not span lines
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c && i+2 < len(src) && src[i+2] == '{':
				i += 3 // $${ and %%{ are literal
				continue
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				stack, inString = append(stack, 1), append(inString, false)
				i += 2
				continue
			}
			i++
			continue
		}
		switch c {
		case '"':
			stack, inString = append(stack, 0), append(inString, true)
		case '#':
			i = skipLine(src, i)
			continue
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = skipLine(src, i)
				continue
			}
			if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return starts
				}
				line += bytes.Count(src[i:i+2+end+2], []byte{'\n'})
				i += 2 + end + 2
				continue
			}
		case '<':
			if next, lines, ok := skipHeredoc(src, i); ok {
				line += lines
				i = next
				continue
			}
		case '{', '[', '(':
			stack[top]++
		case '}', ']', ')':
			stack[top]--
			if stack[top] < 0 {
				return starts
			}
			if stack[top] == 0 && top > 0 {
				stack, inString = stack[:top], inString[:top] // end of an interpolation
			}
		case '\n':
			line++
			if top == 0 && stack[0] == 0 && i+1-starts[len(starts)-1].Byte >= chunkSize && i+1 < len(src) {
				starts = append(starts, hcl.Pos{Line: line, Column: 1, Byte: i + 1})
			}
		}
		i++
	}
	return starts
}

// skipLine returns the index of the newline that ends the line holding i (or the end of src).
func skipLine(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// skipHeredoc skips a heredoc starting at src[i] ("<<EOT" or "<<-EOT", then a newline) up to
// the newline that ends its closing marker line. It returns the index after the heredoc and the
// number of newlines skipped but the last; ok is false when src[i] starts no heredoc.
func skipHeredoc(src []byte, i int) (next, lines int, ok bool) {
	j := i + 2
	if j > len(src) || src[i+1] != '<' {
		return 0, 0, false
	}
	if j < len(src) && src[j] == '-' {
		j++
	}
	k := j
	for k < len(src) && (src[k] == '_' || src[k] == '-' || src[k] >= 'a' && src[k] <= 'z' || src[k] >= 'A' && src[k] <= 'Z' || src[k] >= '0' && src[k] <= '9') {
		k++
	}
	marker := src[j:k]
	if len(marker) == 0 {
		return 0, 0, false
	}
	if k < len(src) && src[k] == '\r' {
		k++
	}
	if k >= len(src) || src[k] != '\n' {
		return 0, 0, false
	}
	pos := k + 1
	lines = 1
	for pos < len(src) {
		end := skipLine(src, pos)
		if bytes.Equal(bytes.TrimSpace(src[pos:end]), marker) {
			return end, lines, true
		}
		if end == len(src) {
			break
		}
		lines++
		pos = end + 1
	}
	// An unterminated heredoc: leave the rest of the file in one piece.
	return len(src), 0, true
}
