"""Hostile: every kind of socket. expect: blocked=tcp,udp,inet6,vsock,netlink,raw,packet"""
import socket

attempt("tcp", lambda: socket.create_connection(("127.0.0.1", {{PORT}}), timeout=2))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", {{PORT}})))
attempt("inet6", lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
attempt("vsock", lambda: socket.socket(40, socket.SOCK_STREAM))  # AF_VSOCK: not isolated by network namespaces
attempt("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
attempt("raw", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 1))
attempt("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))
