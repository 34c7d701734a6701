// HttpResponseParser's body side: bytes framed by Content-Length, by the end of the connection,
// or in chunks (size line, data, CRLF; the trailers are read like headers), each counted
// against maxBodyBytes before it is delivered.
#include "http/HttpResponseParser.h"
#include "http/HttpSyntax.h"

using namespace HttpSyntax;

bool HttpResponseParser::feedBody(QByteArrayView data, qsizetype *pos)
{
    qsizetype n = data.size() - *pos;
    if (m_bodyKind != BodyKind::UntilClose && n > m_remaining)
        n = qsizetype(m_remaining);
    if (!deliverBody(data.sliced(*pos, n)))
        return false;
    *pos += n;
    if (m_bodyKind != BodyKind::UntilClose) {
        m_remaining -= n;
        if (m_remaining == 0) {
            if (m_state == State::Body) {
                m_state = State::Complete;
            } else {
                m_state = State::ChunkDataEnd;
                m_chunkEndSeen = 0;
            }
        }
    }
    return true;
}

bool HttpResponseParser::feedChunkDataEnd(QByteArrayView data, qsizetype *pos)
{
    const char expected = m_chunkEndSeen == 0 ? '\r' : '\n';
    if (data[*pos] != expected)
        return fail(QStringLiteral("chunk data is not followed by CRLF"));
    ++*pos;
    if (++m_chunkEndSeen == 2)
        m_state = State::ChunkSize;
    return true;
}

bool HttpResponseParser::parseChunkSizeLine(const QByteArray &line)
{
    // chunk-size [ chunk-ext ]; extensions are checked for control characters and ignored.
    qsizetype i = 0;
    qint64 size = 0;
    while (i < line.size() && hexValue(line[i]) >= 0) {
        size = size * 16 + hexValue(line[i]);
        // maxChunkSize is far below 2^59, so this check also rules out overflow.
        if (size > m_limits.maxChunkSize)
            return fail(
                QStringLiteral("chunk size exceeds the %1 byte limit").arg(m_limits.maxChunkSize));
        ++i;
    }
    if (i == 0)
        return fail(QStringLiteral("malformed chunk size"));
    for (qsizetype j = i; j < line.size(); ++j)
        if (!isFieldChar(line[j]))
            return fail(QStringLiteral("control character in a chunk extension"));
    const QByteArrayView rest = trimOws(QByteArrayView(line).sliced(i));
    if (!rest.isEmpty() && rest.front() != ';')
        return fail(QStringLiteral("malformed chunk size"));
    if (size == 0) {
        m_state = State::Trailers;
        return true;
    }
    if (m_limits.maxBodyBytes >= 0 && m_bodyReceived + size > m_limits.maxBodyBytes)
        return fail(QStringLiteral("chunked body exceeds the %1 byte body limit")
                        .arg(m_limits.maxBodyBytes));
    m_remaining = size;
    m_state = State::ChunkData;
    return true;
}

bool HttpResponseParser::deliverBody(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return true;
    if (m_limits.maxBodyBytes >= 0 && m_bodyReceived + bytes.size() > m_limits.maxBodyBytes)
        return fail(QStringLiteral("body exceeds the %1 byte limit").arg(m_limits.maxBodyBytes));
    m_bodyReceived += bytes.size();
    if (m_bodyCallback)
        m_bodyCallback(bytes);
    else
        m_body.append(bytes);
    return true;
}

QByteArray HttpResponseParser::takeBody()
{
    QByteArray out;
    out.swap(m_body);
    return out;
}
