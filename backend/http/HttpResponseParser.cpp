#include "http/HttpResponseParser.h"

#include "http/HttpSyntax.h"

#include <limits>

using namespace HttpSyntax;

HttpResponseParser::HttpResponseParser(const HttpLimits &limits) : m_limits(limits) {}

void HttpResponseParser::setHeadRequest(bool head)
{
    m_head = head;
}

void HttpResponseParser::setBodyCallback(std::function<void(QByteArrayView)> callback)
{
    m_bodyCallback = std::move(callback);
}

void HttpResponseParser::reset()
{
    m_state = State::StatusLine;
    m_error.clear();
    m_line.clear();
    m_statusCode = 0;
    m_minorVersion = 1;
    m_reason.clear();
    m_headers.clear();
    m_trailers.clear();
    m_headerBytes = 0;
    m_trailerBytes = 0;
    m_headersComplete = false;
    m_interim = 0;
    m_bodyKind = BodyKind::None;
    m_contentLength = -1;
    m_remaining = 0;
    m_bodyReceived = 0;
    m_body.clear();
    m_chunkEndSeen = 0;
}

bool HttpResponseParser::headersDone() const
{
    switch (m_state) {
    case State::StatusLine:
    case State::Headers:
        return false;
    case State::Error:
        return m_headersComplete;
    default:
        return true;
    }
}

bool HttpResponseParser::fail(const QString &message)
{
    m_state = State::Error;
    m_error = message;
    m_line.clear();
    return false;
}

HttpResponseParser::LineResult HttpResponseParser::takeLine(QByteArrayView data, qsizetype *pos,
                                                            qsizetype maxBytes, const char *what,
                                                            QByteArray *line)
{
    const qsizetype start = *pos;
    const qsizetype lf = data.indexOf('\n', start);
    const qsizetype end = lf < 0 ? data.size() : lf;
    // +1 leaves room for the CR that precedes the LF.
    if (m_line.size() + (end - start) > maxBytes + 1) {
        fail(QStringLiteral("%1 is longer than %2 bytes").arg(QLatin1String(what)).arg(maxBytes));
        return LineResult::Failed;
    }
    m_line.append(data.sliced(start, end - start));
    if (lf < 0) {
        *pos = data.size();
        return LineResult::NeedMore;
    }
    *pos = lf + 1;
    if (m_line.isEmpty() || m_line.back() != '\r') {
        fail(QStringLiteral("%1 ends in a bare LF (CRLF required)").arg(QLatin1String(what)));
        return LineResult::Failed;
    }
    m_line.chop(1);
    *line = std::move(m_line);
    m_line = QByteArray();
    return LineResult::Line;
}

bool HttpResponseParser::feed(QByteArrayView data)
{
    qsizetype pos = 0;
    while (pos < data.size()) {
        switch (m_state) {
        case State::Error:
            return false;
        case State::Complete:
            return fail(QStringLiteral("unexpected bytes after the end of the response"));
        case State::StatusLine:
        case State::Headers:
        case State::ChunkSize:
        case State::Trailers:
            if (!feedLine(data, &pos))
                return false;
            break;
        case State::Body:
        case State::ChunkData:
            if (!feedBody(data, &pos))
                return false;
            break;
        case State::ChunkDataEnd:
            if (!feedChunkDataEnd(data, &pos))
                return false;
            break;
        }
    }
    return m_state != State::Error;
}

bool HttpResponseParser::feedLine(QByteArrayView data, qsizetype *pos)
{
    qsizetype max = m_limits.maxHeaderLineBytes;
    const char *what = "header line";
    if (m_state == State::StatusLine) {
        max = m_limits.maxStatusLineBytes;
        what = "status line";
    } else if (m_state == State::ChunkSize) {
        max = m_limits.maxChunkSizeLineBytes;
        what = "chunk size line";
    } else if (m_state == State::Trailers) {
        what = "trailer line";
    }
    QByteArray line;
    const LineResult r = takeLine(data, pos, max, what, &line);
    if (r == LineResult::Failed)
        return false;
    if (r == LineResult::NeedMore)
        return true;
    if (m_state == State::StatusLine)
        return parseStatusLine(line);
    if (m_state == State::Headers) {
        m_headerBytes += line.size() + 2;
        if (m_headerBytes > m_limits.maxHeaderBytes)
            return fail(QStringLiteral("header section is larger than %1 bytes")
                            .arg(m_limits.maxHeaderBytes));
        return line.isEmpty() ? headerSectionDone() : parseFieldLine(line, &m_headers, "header");
    }
    if (m_state == State::ChunkSize)
        return parseChunkSizeLine(line);
    if (line.isEmpty()) {
        m_state = State::Complete;
        return true;
    }
    m_trailerBytes += line.size() + 2;
    if (m_trailerBytes > m_limits.maxTrailerBytes)
        return fail(QStringLiteral("trailer section is larger than %1 bytes")
                        .arg(m_limits.maxTrailerBytes));
    return parseFieldLine(line, &m_trailers, "trailer");
}

bool HttpResponseParser::finish()
{
    switch (m_state) {
    case State::Complete:
        return true;
    case State::Error:
        return false;
    case State::Body:
        if (m_bodyKind == BodyKind::UntilClose) {
            m_state = State::Complete;
            return true;
        }
        return fail(QStringLiteral("connection closed after %1 of %2 body bytes")
                        .arg(m_bodyReceived)
                        .arg(m_contentLength));
    case State::StatusLine:
        if (m_statusCode == 0 && m_line.isEmpty())
            return fail(QStringLiteral("connection closed before any response arrived"));
        return fail(QStringLiteral("connection closed in the middle of the status line"));
    case State::Headers:
        return fail(QStringLiteral("connection closed before the end of the headers"));
    case State::ChunkSize:
    case State::ChunkData:
    case State::ChunkDataEnd:
        return fail(QStringLiteral("connection closed in a chunked body before the last chunk "
                                   "(%1 body bytes received)")
                        .arg(m_bodyReceived));
    case State::Trailers:
        return fail(QStringLiteral("connection closed in the trailer section"));
    }
    return false;
}

bool HttpResponseParser::parseStatusLine(const QByteArray &line)
{
    // HTTP-version SP 3DIGIT SP reason-phrase; the reason (and its SP) may be missing.
    const QByteArrayView v(line);
    if (v.size() < 12 || !v.startsWith("HTTP/") || v[6] != '.' || v[8] != ' ')
        return fail(QStringLiteral("malformed status line"));
    if (v[5] != '1' || v[7] < '0' || v[7] > '9')
        return fail(QStringLiteral("unsupported protocol %1 (only HTTP/1.x)")
                        .arg(QString::fromLatin1(v.first(8).toByteArray().toPercentEncoding())));
    int code = 0;
    for (int i = 9; i < 12; ++i) {
        if (v[i] < '0' || v[i] > '9')
            return fail(QStringLiteral("malformed status code"));
        code = code * 10 + (v[i] - '0');
    }
    if (code < 100 || code > 599)
        return fail(QStringLiteral("status code %1 is out of range").arg(code));
    QByteArrayView reason;
    if (v.size() > 12) {
        if (v[12] != ' ')
            return fail(QStringLiteral("malformed status line"));
        reason = v.sliced(13);
        for (char c : reason)
            if (!isFieldChar(c))
                return fail(QStringLiteral("control character in the reason phrase"));
    }
    m_minorVersion = v[7] - '0';
    m_statusCode = code;
    m_reason = reason.toByteArray();
    m_headerBytes = line.size() + 2;
    m_state = State::Headers;
    return true;
}

bool HttpResponseParser::parseFieldLine(const QByteArray &line, QList<Header> *into,
                                        const char *what)
{
    const QString kind = QLatin1String(what);
    if (line.front() == ' ' || line.front() == '\t')
        return fail(QStringLiteral("obsolete line folding in a %1").arg(kind));
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0)
        return fail(QStringLiteral("%1 line without a name and colon").arg(kind));
    const QByteArrayView name = QByteArrayView(line).first(colon);
    for (char c : name)
        if (!isTchar(c))
            return fail(QStringLiteral("invalid character in a %1 name").arg(kind));
    const QByteArrayView value = trimOws(QByteArrayView(line).sliced(colon + 1));
    for (char c : value)
        if (!isFieldChar(c))
            return fail(QStringLiteral("control character in the value of %1 %2")
                            .arg(kind, QString::fromLatin1(name)));
    const int max = into == &m_trailers ? m_limits.maxTrailerCount : m_limits.maxHeaderCount;
    if (into->size() >= max)
        return fail(QStringLiteral("more than %1 %2 fields").arg(max).arg(kind));
    into->append({name.toByteArray(), value.toByteArray()});
    return true;
}

bool HttpResponseParser::headerSectionDone()
{
    bool chunked = false;
    bool haveTe = false;
    qint64 length = -1;
    for (const Header &h : std::as_const(m_headers)) {
        if (equalsIgnoreCase(h.first, "Content-Length")) {
            if (length >= 0)
                return fail(QStringLiteral("duplicate Content-Length header"));
            if (h.second.isEmpty())
                return fail(QStringLiteral("empty Content-Length"));
            qint64 n = 0;
            for (char c : h.second) {
                if (c < '0' || c > '9')
                    return fail(QStringLiteral("invalid Content-Length \"%1\"")
                                    .arg(QString::fromLatin1(h.second.left(32))));
                if (n > (std::numeric_limits<qint64>::max() - 9) / 10)
                    return fail(QStringLiteral("Content-Length overflows"));
                n = n * 10 + (c - '0');
            }
            length = n;
        } else if (equalsIgnoreCase(h.first, "Transfer-Encoding")) {
            if (haveTe)
                return fail(QStringLiteral("duplicate Transfer-Encoding header"));
            haveTe = true;
            if (!equalsIgnoreCase(h.second, "chunked"))
                return fail(QStringLiteral("unsupported Transfer-Encoding \"%1\" (only chunked)")
                                .arg(QString::fromLatin1(h.second.left(64))));
            chunked = true;
        }
    }
    if (haveTe && length >= 0)
        return fail(QStringLiteral("both Content-Length and Transfer-Encoding present"));
    if (haveTe && m_minorVersion == 0)
        return fail(QStringLiteral("Transfer-Encoding in an HTTP/1.0 response"));

    if (m_statusCode < 200) {
        if (m_statusCode == 101)
            return fail(QStringLiteral("unexpected protocol upgrade (101)"));
        if (++m_interim > m_limits.maxInterimResponses)
            return fail(QStringLiteral("more than %1 interim 1xx responses")
                            .arg(m_limits.maxInterimResponses));
        // Skip the interim response and parse the final one.
        m_statusCode = 0;
        m_reason.clear();
        m_headers.clear();
        m_headerBytes = 0;
        m_state = State::StatusLine;
        return true;
    }
    m_headersComplete = true;
    m_contentLength = length;
    if (m_head || m_statusCode == 204 || m_statusCode == 304) {
        m_bodyKind = BodyKind::None;
        m_state = State::Complete;
        return true;
    }
    if (chunked) {
        m_bodyKind = BodyKind::Chunked;
        m_state = State::ChunkSize;
        return true;
    }
    if (length >= 0) {
        if (m_limits.maxBodyBytes >= 0 && length > m_limits.maxBodyBytes)
            return fail(QStringLiteral("Content-Length %1 exceeds the %2 byte body limit")
                            .arg(length)
                            .arg(m_limits.maxBodyBytes));
        m_bodyKind = BodyKind::ContentLength;
        m_remaining = length;
        m_state = length == 0 ? State::Complete : State::Body;
        return true;
    }
    m_bodyKind = BodyKind::UntilClose;
    m_state = State::Body;
    return true;
}

QByteArray HttpResponseParser::header(QByteArrayView name) const
{
    for (const Header &h : m_headers)
        if (equalsIgnoreCase(h.first, name))
            return h.second.isNull() ? QByteArray("") : h.second;
    return QByteArray();
}

QList<QByteArray> HttpResponseParser::headerValues(QByteArrayView name) const
{
    QList<QByteArray> values;
    for (const Header &h : m_headers)
        if (equalsIgnoreCase(h.first, name))
            values.append(h.second);
    return values;
}
