package configcontract

import "testing"

func TestHashIsTheHexSHA256OfTheBytes(t *testing.T) {
	cases := []struct{ data, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, c := range cases {
		if got := Hash([]byte(c.data)); got != c.want {
			t.Errorf("Hash(%q) = %s, want %s", c.data, got, c.want)
		}
	}
}
