// Package units parses and formats the sizes and durations of the bucketform language.
//
// Sizes accept the binary units KiB, MiB, GiB and TiB, the decimal units KB, MB, GB and TB, and
// plain bytes ("1048576" or "1048576B"). Durations accept Go's syntax ("90s", "15m", "1h30m")
// plus whole days ("7d", "1d12h").
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The size units, in bytes.
const (
	KiB uint64 = 1 << 10
	MiB uint64 = 1 << 20
	GiB uint64 = 1 << 30
	TiB uint64 = 1 << 40

	KB uint64 = 1e3
	MB uint64 = 1e6
	GB uint64 = 1e9
	TB uint64 = 1e12
)

var sizeUnits = map[string]uint64{
	"":    1,
	"B":   1,
	"KiB": KiB, "MiB": MiB, "GiB": GiB, "TiB": TiB,
	"KB": KB, "MB": MB, "GB": GB, "TB": TB,
}

// binaryUnits and decimalUnits are tried in this order by FormatSize.
var (
	binaryUnits  = []string{"TiB", "GiB", "MiB", "KiB"}
	decimalUnits = []string{"TB", "GB", "MB", "KB"}
)

// ParseSize parses a size such as "100GiB", "500MB", "1 TiB" or "1048576" into bytes. The
// number is a whole number; a single space may separate it from the unit.
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("size is empty; write a number of bytes or a number with a unit, like \"100GiB\"")
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q does not start with a whole number; write it like \"100GiB\" or \"500MB\"", s)
	}
	digits, unit := t[:i], strings.TrimPrefix(t[i:], " ")
	mult, ok := sizeUnits[unit]
	if !ok {
		if strings.HasPrefix(unit, ".") {
			return 0, fmt.Errorf("size %q is not a whole number; use a smaller unit, like \"1536MiB\" for 1.5GiB", s)
		}
		return 0, fmt.Errorf("size %q has unknown unit %q; use KiB, MiB, GiB, TiB (binary), KB, MB, GB, TB (decimal) or plain bytes", s, unit)
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

// FormatSize renders n with the unit that divides it evenly and gives the smallest number,
// preferring binary units on a tie: 107374182400 is "100GiB", 2000000000000 is "2TB", and a
// value no unit divides, like 1234, is plain bytes ("1234").
func FormatSize(n uint64) string {
	if n == 0 {
		return "0"
	}
	best, bestUnit := n, ""
	for _, u := range append(append([]string(nil), binaryUnits...), decimalUnits...) {
		if m := sizeUnits[u]; n%m == 0 && n/m < best {
			best, bestUnit = n/m, u
		}
	}
	return strconv.FormatUint(best, 10) + bestUnit
}

// ParseDuration parses a duration in Go's syntax ("90s", "15m", "24h", "1h30m") extended with a
// leading whole number of days ("7d", "1d12h"). A sign is allowed only in front of the whole
// duration, as in Go.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("duration is empty; write it like \"90s\", \"15m\", \"24h\" or \"7d\"")
	}
	neg := false
	rest := t
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	var days time.Duration
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.ParseUint(rest[:i], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("duration %q: days must be a whole number in front of the other units, like \"1d12h\"", s)
		}
		if n > 106751 { // time.Duration holds about 292 years
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		rest = rest[i+1:]
	}
	var d time.Duration
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return 0, fmt.Errorf("duration %q has a sign in the middle", s)
		}
		var err error
		d, err = time.ParseDuration(rest)
		if err != nil {
			if _, nerr := strconv.ParseFloat(rest, 64); nerr == nil {
				return 0, fmt.Errorf("duration %q has no unit; write it like \"%ss\"", s, rest)
			}
			return 0, fmt.Errorf("duration %q is not valid; write it like \"90s\", \"15m\", \"24h\" or \"7d\"", s)
		}
		if d > math.MaxInt64-days {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
	}
	total := days + d
	if neg {
		total = -total
	}
	return total, nil
}

// FormatDuration renders d in the syntax ParseDuration reads, using days for whole days and
// dropping zero parts: 7*24h renders as "7d", 36h as "1d12h", 1h as "1h", 90s as "1m30s".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	const day = 24 * time.Hour
	days, rest := d/day, d%day
	s := ""
	if days > 0 {
		s = strconv.FormatInt(int64(days), 10) + "d"
		if rest == 0 {
			return s
		}
	}
	r := rest.String()
	// time.Duration.String renders 1h as "1h0m0s"; drop the zero parts.
	if strings.HasSuffix(r, "m0s") {
		r = r[:len(r)-2]
	}
	if strings.HasSuffix(r, "h0m") {
		r = r[:len(r)-2]
	}
	return s + r
}
