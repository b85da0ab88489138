package httphandler

import (
	"reflect"
	"strings"
	"testing"
)

// Every language has every text, and the formats name what was received and what was
// due, each once.
func TestLanguages_AreComplete(t *testing.T) {
	for code, tx := range languages {
		if tx.Lang != code {
			t.Errorf("%s: Lang is %q", code, tx.Lang)
		}
		v := reflect.ValueOf(tx)
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				t.Errorf("%s: %s is empty", code, v.Type().Field(i).Name)
			}
		}
		for _, f := range []string{tx.ExpiredPartial, tx.Overpaid} {
			if strings.Count(f, "%[1]s") != 1 || strings.Count(f, "%[2]s") != 1 || strings.Count(f, "%") != 2 {
				t.Errorf("%s: format %q", code, f)
			}
		}
		if got := language(code + ";q=0.8, xx"); got.Lang != code {
			t.Errorf("Accept-Language %s chose %s", code, got.Lang)
		}
	}
	if len(languages) < 4 {
		t.Errorf("%d languages", len(languages))
	}
}
