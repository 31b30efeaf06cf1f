"""A deployment for `envward probe` tests: HTTPS and plain HTTP on
127.0.0.1 (ports chosen by the system), answers read from a JSON file.

    python3 probe_server.py CONFIG.json CERT.pem KEY.pem

CONFIG: {"routes": {"/path": ANSWER}, "default": ANSWER, "http": ANSWER}
with ANSWER = {"status": 200, "headers": [["Name", "value"]], "body": "…"};
"http" answers every plain-HTTP request ({https} in it becomes the HTTPS
origin). Prints "PORTS <https> <http>" once listening, then serves until
its standard input closes.
"""

import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

config = json.load(open(sys.argv[1]))


def handler(plain, origin):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if plain:
                answer = config.get("http", {"status": 404, "body": ""})
            else:
                path = self.path.split("?")[0]
                answer = config["routes"].get(path, config.get("default", {"status": 404, "body": "not found"}))
            body = answer.get("body", "").encode()
            self.send_response_only(answer.get("status", 200))
            for name, value in answer.get("headers", []):
                self.send_header(name, value.replace("{https}", origin[0]))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


origin = [""]
https = ThreadingHTTPServer(("127.0.0.1", 0), handler(False, origin))
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[2], sys.argv[3])
https.socket = context.wrap_socket(https.socket, server_side=True)
http = ThreadingHTTPServer(("127.0.0.1", 0), handler(True, origin))
origin[0] = f"https://127.0.0.1:{https.server_address[1]}"
for server in (https, http):
    threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"PORTS {https.server_address[1]} {http.server_address[1]}", flush=True)
sys.stdin.read()
