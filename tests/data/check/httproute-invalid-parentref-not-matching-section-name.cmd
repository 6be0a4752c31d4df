check base.yaml httproute-invalid-parentref-not-matching-section-name.yaml
