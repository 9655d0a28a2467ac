"""struct iovec, msghdr and mmsghdr through ctypes, for the workloads that
call sendmmsg()/recvmmsg(), which Python's socket module does not have."""
import ctypes

libc = ctypes.CDLL(None, use_errno=True)


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(IoVec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]


def mmsgs(sizes):
    """An mmsghdr array, message i with one buffer of sizes[i] bytes ("m"s).
    Returns the array and what must stay alive while it is used."""
    bufs = [ctypes.create_string_buffer(b"m" * s, s) for s in sizes]
    iovs = [IoVec(ctypes.cast(b, ctypes.c_void_p), s) for b, s in zip(bufs, sizes)]
    arr = (MMsgHdr * len(sizes))()
    for m, iov in zip(arr, iovs):
        m.hdr.iov, m.hdr.iovlen = ctypes.pointer(iov), 1
    return arr, (bufs, iovs)
