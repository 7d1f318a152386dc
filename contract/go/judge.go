package configcontract

// Judge applies the whole contract to config bytes: Parse, then the schema.
// It returns the document when the file passes; otherwise the error is a
// *ConfigError naming every key at fault, or none for a syntax refusal.
func (s *Schema) Judge(data []byte) (map[string]any, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if issues := s.Validate(doc); len(issues) > 0 {
		return nil, &ConfigError{Issues: issues}
	}
	return doc, nil
}
