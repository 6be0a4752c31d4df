check base.yaml httproute-backend-protocol-h2c.yaml
