check base.yaml httproute-backend-protocol-websocket.yaml
