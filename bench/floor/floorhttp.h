// bench/floor's HTTP/1.1 client: kept-alive connections over TCP (loopback) or a unix socket,
// answers with Content-Length or chunked bodies, and streamed NDJSON bodies read line by line.
// Only for talking to the bench's own dockerd and etcd: any fault ends the tool.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

[[noreturn]] inline void die(const std::string &why)
{
    std::fprintf(stderr, "floor: %s\n", why.c_str());
    std::exit(1);
}

inline int64_t nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline std::string base64(const std::string &in)
{
    static const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v =
            (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
        const unsigned v = (unsigned char)in[i] << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

inline std::string base64Decode(const std::string &in)
{
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (char c : in) {
        int d;
        if (c >= 'A' && c <= 'Z')
            d = c - 'A';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            d = c - '0' + 52;
        else if (c == '+')
            d = 62;
        else if (c == '/')
            d = 63;
        else
            break;
        v = v << 6 | unsigned(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((v >> bits) & 0xff);
        }
    }
    return out;
}

// The string value after `marker` (which ends with the opening quote); no escapes expected.
inline std::string jsonString(const std::string &s, const std::string &marker)
{
    const size_t p = s.find(marker);
    if (p == std::string::npos)
        return {};
    const size_t start = p + marker.size();
    return s.substr(start, s.find('"', start) - start);
}

inline std::string request(const std::string &method, const std::string &target,
                           const std::string &body)
{
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
    if (!body.empty() || method == "POST")
        r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    return r + "\r\n" + body;
}

struct Response {
    int status = 0;
    std::string body;
};

class Conn {
public:
    static Conn tcp(int port)
    {
        Conn c(socket(AF_INET, SOCK_STREAM, 0));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(uint16_t(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(c.m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
            die("cannot connect to 127.0.0.1:" + std::to_string(port));
        const int one = 1;
        setsockopt(c.m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return c;
    }
    static Conn unix(const std::string &path)
    {
        Conn c(socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        path.copy(a.sun_path, sizeof a.sun_path - 1);
        if (connect(c.m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
            die("cannot connect to " + path);
        return c;
    }
    Conn(Conn &&o) noexcept : m_fd(o.m_fd), m_buf(std::move(o.m_buf)) { o.m_fd = -1; }
    Conn(const Conn &) = delete;
    ~Conn()
    {
        if (m_fd >= 0)
            close(m_fd);
    }

    void send(const std::string &data)
    {
        for (size_t done = 0; done < data.size();) {
            const ssize_t n = ::write(m_fd, data.data() + done, data.size() - done);
            if (n <= 0)
                die("write failed");
            done += size_t(n);
        }
    }

    // One whole answer (the connection stays open for the next request).
    Response readResponse()
    {
        Response r;
        bool chunked = false;
        long long length = readHeaders(r.status, chunked);
        if (!chunked) {
            r.body = take(size_t(length));
            return r;
        }
        std::string line;
        for (;;) {
            const size_t size = std::strtoul(takeLine().c_str(), nullptr, 16);
            if (size == 0) {
                takeLine(); // the empty line after the last chunk (no trailers expected)
                return r;
            }
            r.body += take(size);
            takeLine();
        }
    }

    // A streamed answer follows: its headers are read now; nextLine() reads its body.
    void startStream()
    {
        int status = 0;
        readHeaders(status, m_chunked);
        if (status != 200)
            die("stream answered " + std::to_string(status));
    }

    // The next non-empty body line and the time the read that completed it returned.
    bool nextLine(std::string &line, int64_t &recvNs)
    {
        for (;;) {
            const size_t lf = m_body.find('\n');
            if (lf != std::string::npos) {
                line = m_body.substr(0, lf);
                m_body.erase(0, lf + 1);
                recvNs = m_lastRead;
                if (line.find_first_not_of(" \r") == std::string::npos)
                    continue;
                return true;
            }
            if (!m_chunked) {
                if (!fill())
                    return false;
                m_body += m_buf;
                m_buf.clear();
                continue;
            }
            const size_t size = std::strtoul(takeLine().c_str(), nullptr, 16);
            if (size == 0)
                return false;
            m_body += take(size);
            takeLine();
        }
    }

private:
    explicit Conn(int fd) : m_fd(fd)
    {
        if (fd < 0)
            die("socket() failed");
    }

    bool fill()
    {
        char b[65536];
        const ssize_t n = ::read(m_fd, b, sizeof b);
        m_lastRead = nowNs();
        if (n <= 0)
            return false;
        m_buf.append(b, size_t(n));
        return true;
    }
    std::string takeLine()
    {
        size_t lf;
        while ((lf = m_buf.find("\r\n")) == std::string::npos)
            if (!fill())
                die("connection closed");
        std::string line = m_buf.substr(0, lf);
        m_buf.erase(0, lf + 2);
        return line;
    }
    std::string take(size_t n)
    {
        while (m_buf.size() < n)
            if (!fill())
                die("connection closed");
        std::string out = m_buf.substr(0, n);
        m_buf.erase(0, n);
        return out;
    }
    long long readHeaders(int &status, bool &chunked)
    {
        const std::string statusLine = takeLine();
        status = statusLine.size() > 12 ? std::atoi(statusLine.c_str() + 9) : 0;
        long long length = 0;
        chunked = false;
        for (std::string h = takeLine(); !h.empty(); h = takeLine()) {
            for (char &ch : h)
                ch = char(std::tolower((unsigned char)ch));
            if (h.rfind("content-length:", 0) == 0)
                length = std::atoll(h.c_str() + 15);
            else if (h.rfind("transfer-encoding:", 0) == 0 && h.find("chunked") != h.npos)
                chunked = true;
        }
        return length;
    }

    int m_fd;
    std::string m_buf;  // bytes read, not yet consumed
    std::string m_body; // streamed body, de-chunked, not yet returned as lines
    bool m_chunked = false;
    int64_t m_lastRead = 0;
};
