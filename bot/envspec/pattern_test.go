package envspec

import "testing"

func TestPatternsOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"/api/*", "/api/v2/*", true},
		{"/api/*", "/admin/*", false},
		{"/api/*", "/api", false},
		{"/api/*", "/api/health", true},
		{"/api", "/api", true},
		{"/a?c/*", "/abc/x", true},
		{"/reports/*", "/api/*", false},
		{"*", "/anything", true},
	}
	for _, tt := range tests {
		if got := patternsOverlap(tt.a, tt.b); got != tt.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := patternsOverlap(tt.b, tt.a); got != tt.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}
