#include "http/HttpRequestParser.h"

#include "http/HttpSyntax.h"

#include <limits>

namespace {

using HttpSyntax::equalsIgnoreCase;
using HttpSyntax::isFieldChar;
using HttpSyntax::isTchar;
using HttpSyntax::trimOws;

bool isToken(QByteArrayView v)
{
    if (v.isEmpty())
        return false;
    for (char c : v)
        if (!isTchar(c))
            return false;
    return true;
}

// origin-form without a fragment: printable ASCII, no space.
bool isTargetChar(char ch)
{
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x21 && c <= 0x7e && c != '#';
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

} // namespace

HttpRequestParser::HttpRequestParser(const HttpRequestLimits &limits) : m_limits(limits) {}

void HttpRequestParser::reset()
{
    m_state = State::RequestLine;
    m_errorStatus = 0;
    m_error.clear();
    m_line.clear();
    m_headBytes = 0;
    m_method.clear();
    m_target.clear();
    m_minorVersion = 1;
    m_headers.clear();
    m_contentLength = -1;
}

bool HttpRequestParser::fail(int status, const QString &message)
{
    m_state = State::Error;
    m_errorStatus = status;
    m_error = message;
    m_line.clear();
    return false;
}

qsizetype HttpRequestParser::feed(QByteArrayView data)
{
    qsizetype pos = 0;
    while (pos < data.size() && (m_state == State::RequestLine || m_state == State::Headers)) {
        const bool requestLine = m_state == State::RequestLine;
        const qsizetype lf = data.indexOf('\n', pos);
        const qsizetype end = lf < 0 ? data.size() : lf;
        const QByteArrayView piece = data.sliced(pos, end - pos);
        const qsizetype lineSize = m_line.size() + piece.size();

        // Limits are checked on the partial line, so a peer cannot make us wait for a CRLF
        // that never comes. Each check depends only on the bytes seen, never on how they were
        // split across feeds, so the outcome is the same however the head arrives.
        const auto refuse = [&](int status, const QString &message) {
            m_headBytes += piece.size(); // seen, even though refused
            fail(status, message);
            return end;
        };
        if (lineSize > 0) {
            const char first = m_line.isEmpty() ? piece.front() : m_line.front();
            const char last = piece.isEmpty() ? m_line.back() : piece.back();
            if (!requestLine && first != '\r' && m_headers.size() >= m_limits.maxHeaderCount)
                return refuse(431, QStringLiteral("the request has more than %1 header fields")
                                       .arg(m_limits.maxHeaderCount));
            // The least this line can be: its bytes so far without a final CR, and the least
            // the head can be: the lines before, this line and its CRLF.
            const qsizetype lineAtLeast = lineSize - (last == '\r' ? 1 : 0);
            const qsizetype done = m_headBytes - m_line.size();
            const qsizetype lineRoom =
                requestLine ? m_limits.maxRequestLineBytes : m_limits.maxHeaderLineBytes;
            const qsizetype headRoom = m_limits.maxHeaderBytes - done - 2;
            if (lineAtLeast > qMin(lineRoom, headRoom)) {
                if (headRoom < lineRoom)
                    return refuse(431, QStringLiteral("the request head is larger than %1 bytes")
                                           .arg(m_limits.maxHeaderBytes));
                if (requestLine)
                    return refuse(414, QStringLiteral("the request line is longer than %1 bytes")
                                           .arg(m_limits.maxRequestLineBytes));
                return refuse(431, QStringLiteral("a header line is longer than %1 bytes")
                                       .arg(m_limits.maxHeaderLineBytes));
            }
        }
        m_line.append(piece);
        m_headBytes += piece.size();
        pos = end;
        if (lf < 0)
            break;
        ++pos;
        ++m_headBytes;
        if (m_line.isEmpty() || m_line.back() != '\r') {
            fail(400, QStringLiteral("a line of the request head ends in a bare LF (CRLF "
                                     "required)"));
            return pos;
        }
        m_line.chop(1);
        const QByteArray line = std::move(m_line);
        m_line = QByteArray();
        bool ok;
        if (requestLine)
            ok = parseRequestLine(line);
        else
            ok = line.isEmpty() ? headSectionDone() : parseFieldLine(line);
        if (!ok)
            return pos;
    }
    return pos;
}

bool HttpRequestParser::parseRequestLine(const QByteArray &line)
{
    if (line.isEmpty())
        return fail(400, QStringLiteral("the request starts with an empty line"));
    // method SP request-target SP HTTP-version, with exactly one space between the parts.
    const QByteArrayView v(line);
    const qsizetype sp1 = v.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : v.indexOf(' ', sp1 + 1);
    if (sp2 < 0)
        return fail(400, QStringLiteral("the request line is not \"METHOD /path HTTP/1.1\""));
    const QByteArrayView method = v.first(sp1);
    const QByteArrayView target = v.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = v.sliced(sp2 + 1);
    if (!isToken(method))
        return fail(400, QStringLiteral("the request method is not a token"));
    if (target.isEmpty() || target.front() != '/')
        return fail(400, QStringLiteral("the request target does not start with '/' "
                                        "(only origin-form is served)"));
    for (char c : target)
        if (!isTargetChar(c))
            return fail(400, QStringLiteral("the request target has a space, a control "
                                            "character, '#' or a byte outside ASCII"));
    if (version == "HTTP/1.1" || version == "HTTP/1.0") {
        m_minorVersion = version.back() - '0';
    } else if (version.size() == 8 && version.startsWith("HTTP/") && isDigit(version[5]) &&
               version[6] == '.' && isDigit(version[7])) {
        return fail(505, QStringLiteral("HTTP version %1 is not supported (only 1.0 and 1.1)")
                             .arg(QLatin1String(version.sliced(5))));
    } else {
        return fail(400, QStringLiteral("the request line does not end in \"HTTP/1.1\" or "
                                        "\"HTTP/1.0\""));
    }
    m_method = method.toByteArray();
    m_target = target.toByteArray();
    m_state = State::Headers;
    return true;
}

bool HttpRequestParser::parseFieldLine(const QByteArray &line)
{
    if (line.front() == ' ' || line.front() == '\t')
        return fail(400, QStringLiteral("a header line starts with whitespace (obsolete line "
                                        "folding is not accepted)"));
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0)
        return fail(400, QStringLiteral("a header line has no name followed by a colon"));
    const QByteArrayView name = QByteArrayView(line).first(colon);
    if (!isToken(name))
        return fail(400, QStringLiteral("a header name has whitespace or a character that is "
                                        "not allowed in a token"));
    const QByteArrayView value = trimOws(QByteArrayView(line).sliced(colon + 1));
    for (char c : value)
        if (!isFieldChar(c))
            return fail(400, QStringLiteral("the value of header %1 has a control character")
                                 .arg(QLatin1String(name)));
    if (m_headers.size() >= m_limits.maxHeaderCount) // already refused while partial
        return fail(431, QStringLiteral("the request has more than %1 header fields")
                             .arg(m_limits.maxHeaderCount));
    m_headers.append({name.toByteArray(), value.toByteArray()});
    return true;
}

bool HttpRequestParser::headSectionDone()
{
    int hosts = 0;
    int lengths = 0;
    qint64 length = -1;
    for (const Header &h : std::as_const(m_headers)) {
        if (equalsIgnoreCase(h.first, "host")) {
            ++hosts;
        } else if (equalsIgnoreCase(h.first, "content-length")) {
            if (++lengths > 1)
                return fail(400, QStringLiteral("the request has more than one Content-Length"));
            // Values are never logged: they may carry whatever a client put there.
            const QByteArray &v = h.second;
            if (v.isEmpty() || v.size() > 19)
                return fail(400, QStringLiteral("Content-Length is not 1 to 19 digits"));
            qint64 n = 0;
            for (char c : v) {
                if (!isDigit(c))
                    return fail(400, QStringLiteral("Content-Length has a character other "
                                                    "than a digit"));
                if (n > (std::numeric_limits<qint64>::max() - (c - '0')) / 10)
                    return fail(400, QStringLiteral("Content-Length is too large"));
                n = n * 10 + (c - '0');
            }
            length = n;
        }
    }
    if (hosts > 1)
        return fail(400, QStringLiteral("the request has more than one Host header"));
    if (hosts == 0 && m_minorVersion == 1)
        return fail(400, QStringLiteral("an HTTP/1.1 request without a Host header"));
    m_contentLength = length;
    m_state = State::Complete;
    return true;
}

QByteArray HttpRequestParser::path() const
{
    const qsizetype q = m_target.indexOf('?');
    return q < 0 ? m_target : m_target.left(q);
}

QByteArray HttpRequestParser::query() const
{
    const qsizetype q = m_target.indexOf('?');
    return q < 0 ? QByteArray() : m_target.mid(q + 1);
}

QByteArray HttpRequestParser::header(QByteArrayView name) const
{
    for (const Header &h : m_headers)
        if (equalsIgnoreCase(h.first, name))
            return h.second.isNull() ? QByteArray("") : h.second;
    return QByteArray();
}

QList<QByteArray> HttpRequestParser::headerValues(QByteArrayView name) const
{
    QList<QByteArray> values;
    for (const Header &h : m_headers)
        if (equalsIgnoreCase(h.first, name))
            values.append(h.second);
    return values;
}

bool HttpRequestParser::headerHasToken(QByteArrayView name, QByteArrayView token) const
{
    for (const Header &h : m_headers) {
        if (!equalsIgnoreCase(h.first, name))
            continue;
        QByteArrayView rest(h.second);
        while (true) {
            const qsizetype comma = rest.indexOf(',');
            if (equalsIgnoreCase(trimOws(comma < 0 ? rest : rest.first(comma)), token))
                return true;
            if (comma < 0)
                break;
            rest = rest.sliced(comma + 1);
        }
    }
    return false;
}

bool HttpRequestParser::keepAlive() const
{
    return m_minorVersion == 1 && !headerHasToken("connection", "close");
}

bool HttpRequestParser::isWebSocketUpgrade() const
{
    return m_method == "GET" && headerHasToken("upgrade", "websocket") &&
           headerHasToken("connection", "upgrade");
}
