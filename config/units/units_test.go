package units

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "1048576", want: 1 << 20},
		{in: "1048576B", want: 1 << 20},
		{in: "1KiB", want: 1024},
		{in: "100GiB", want: 107374182400},
		{in: "100 GiB", want: 107374182400},
		{in: " 2TiB ", want: 2 << 40},
		{in: "3MiB", want: 3 << 20},
		{in: "1KB", want: 1000},
		{in: "500MB", want: 500e6},
		{in: "1GB", want: 1e9},
		{in: "4TB", want: 4e12},
		{in: "16777216TiB", wantErr: "too large"},
		{in: "99999999999999999999", wantErr: "too large"},
		{in: "", wantErr: "empty"},
		{in: "GiB", wantErr: "whole number"},
		{in: "-1GiB", wantErr: "whole number"},
		{in: "1.5GiB", wantErr: "not a whole number"},
		{in: "10gb", wantErr: `unknown unit "gb"`},
		{in: "10 PiB", wantErr: `unknown unit "PiB"`},
		{in: "10  GiB", wantErr: "unknown unit"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSize(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1023, "1023"},
		{1024, "1KiB"},
		{1536, "1536"}, // 1.5KiB is not round; 1536 is not a multiple of 1000
		{1 << 20, "1MiB"},
		{107374182400, "100GiB"},
		{3 << 40, "3TiB"},
		{1000, "1KB"},
		{500e6, "500MB"},
		{2e12, "2TB"},
		{107374182401, "107374182401"},
		{1024000, "1000KiB"},
		{1e12, "1TB"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.in); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSizeRoundTrip(t *testing.T) {
	for _, n := range []uint64{0, 1, 999, 1000, 1024, 4096, 1e9, 5 << 30, 123456789, 1<<64 - 1} {
		got, err := ParseSize(FormatSize(n))
		if err != nil || got != n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, got, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "15m", want: 15 * time.Minute},
		{in: "24h", want: 24 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "-1d", want: -24 * time.Hour},
		{in: "-90s", want: -90 * time.Second},
		{in: "1500ms", want: 1500 * time.Millisecond},
		{in: "", wantErr: "empty"},
		{in: "3600", wantErr: `no unit; write it like "3600s"`},
		{in: "5 minutes", wantErr: "not valid"},
		{in: "1.5d", wantErr: "days must be a whole number"},
		{in: "d", wantErr: "days must be a whole number"},
		{in: "1h2d", wantErr: "days must be a whole number"},
		{in: "1d-1h", wantErr: "sign in the middle"},
		{in: "999999d", wantErr: "too long"},
		{in: "106751d24h", wantErr: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{10 * time.Second, "10s"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{24 * time.Hour, "1d"},
		{36 * time.Hour, "1d12h"},
		{7 * 24 * time.Hour, "7d"},
		{-time.Hour, "-1h"},
	}
	for _, tt := range tests {
		got := FormatDuration(tt.in)
		if got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := ParseDuration(got)
		if err != nil || back != tt.in {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, tt.in)
		}
	}
}
