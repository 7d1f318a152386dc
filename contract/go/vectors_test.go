package configcontract_test

import (
	"os"
	"testing"

	"traderadmin.local/configcontract"
	"traderadmin.local/configcontract/vectors"
)

func TestSharedVectors(t *testing.T) {
	raw, err := os.ReadFile("../../config/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := configcontract.CompileSchema(raw)
	if err != nil {
		t.Fatal(err)
	}
	all, err := vectors.Load("../../tests/vectors")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		t.Run(v.Name, func(t *testing.T) {
			_, err := s.Judge(v.Data)
			if err := v.Check(err); err != nil {
				t.Fatal(err)
			}
		})
	}
}
