# Sourced by delivery_bench.sh and ab_delivery.sh: the HTTPS sink both
# deliver to. write_tls_sink WORK PORT writes, under WORK, a CA (ca.pem) and
# a certificate for 127.0.0.1 signed by it, and nginx.conf: 1 worker (or
# $NGINX_WORKERS), keep-alive, every request answered 204 and logged to
# WORK/deliveries.log as "msec webhook-id connection".
write_tls_sink() {
  local work=$1 port=$2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
    -out "$work/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/sink.key" \
    -out "$work/sink.csr" -subj "/CN=localhost" 2>/dev/null
  echo "subjectAltName=IP:127.0.0.1" > "$work/san.ext"
  openssl x509 -req -in "$work/sink.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -out "$work/sink.pem" -days 2 -extfile "$work/san.ext" 2>/dev/null
  cat > "$work/nginx.conf" <<NGX
worker_processes ${NGINX_WORKERS:-1};
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  log_format d '\$msec \$http_webhook_id \$connection';
  access_log off;
  client_body_temp_path $work/nginx-body;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $work/sink.pem;
    ssl_certificate_key $work/sink.key;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    location / { access_log $work/deliveries.log d; return 204; }
  }
}
NGX
}
