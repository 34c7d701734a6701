#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>
#include <functional>

// Bounds that keep a hostile or broken peer from making the parser use unbounded memory.
struct HttpLimits {
    qsizetype maxStatusLineBytes = 8 * 1024; // without CRLF
    qsizetype maxHeaderLineBytes = 8 * 1024; // one field line, without CRLF
    qsizetype maxHeaderBytes = 64 * 1024;    // the whole header section
    int maxHeaderCount = 100;
    qsizetype maxChunkSizeLineBytes = 1024; // hex size plus ignored extensions
    qint64 maxChunkSize = 16 * 1024 * 1024;
    qsizetype maxTrailerBytes = 8 * 1024; // all trailer fields together
    int maxTrailerCount = 20;
    qint64 maxBodyBytes = 64 * 1024 * 1024; // negative: unlimited (long-lived streams)
    int maxInterimResponses = 8;            // 1xx responses skipped before the final one
};

// Incremental, strict HTTP/1.x response parser for one response on one connection.
//
// Strictness, on purpose: every line must end in CRLF (a bare LF or a stray CR is an error);
// obs-fold, whitespace before the colon, control characters, duplicate Content-Length (even with
// equal values), Content-Length together with Transfer-Encoding, and any transfer coding other
// than a single "chunked" are rejected. Bytes after a complete response are an error, because
// requests are never pipelined. 1xx interim responses (except 101) are skipped.
class HttpResponseParser {
public:
    enum class State {
        StatusLine,
        Headers,
        Body,         // Content-Length or read-until-close
        ChunkSize,    // reading "<hex>[;ext]CRLF"
        ChunkData,    // inside a chunk
        ChunkDataEnd, // the CRLF after a chunk's data
        Trailers,     // after the last chunk
        Complete,
        Error
    };
    enum class BodyKind { None, ContentLength, Chunked, UntilClose };
    using Header = QPair<QByteArray, QByteArray>; // name as received, value without OWS

    explicit HttpResponseParser(const HttpLimits &limits = HttpLimits());

    // The request was HEAD: the response has no body whatever its headers say.
    void setHeadRequest(bool head);
    // When set, body bytes go to the callback as they arrive instead of being buffered for
    // takeBody(). The callback must not destroy or reset the parser.
    void setBodyCallback(std::function<void(QByteArrayView)> callback);
    void reset();

    // Consumes bytes; returns false once the parser is in the Error state.
    bool feed(QByteArrayView data);
    bool feed(const QByteArray &data) { return feed(QByteArrayView(data)); }
    // The peer closed the connection. Completes a read-until-close body; anything unfinished
    // becomes an error. Returns isComplete().
    bool finish();

    State state() const { return m_state; }
    bool hasError() const { return m_state == State::Error; }
    QString errorString() const { return m_error; }
    bool statusLineDone() const { return m_state != State::StatusLine && m_statusCode != 0; }
    bool headersDone() const;
    bool isComplete() const { return m_state == State::Complete; }

    int statusCode() const { return m_statusCode; }
    QByteArray reasonPhrase() const { return m_reason; }
    int httpMinorVersion() const { return m_minorVersion; }
    const QList<Header> &headers() const { return m_headers; }
    const QList<Header> &trailers() const { return m_trailers; }
    // Case-insensitive; the first value, or a null QByteArray when absent.
    QByteArray header(QByteArrayView name) const;
    QList<QByteArray> headerValues(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const { return !header(name).isNull(); }

    BodyKind bodyKind() const { return m_bodyKind; }
    qint64 contentLength() const { return m_contentLength; } // -1 when not given
    qint64 bodyBytesReceived() const { return m_bodyReceived; }
    // Body bytes buffered since the last call (nothing when a body callback is set).
    QByteArray takeBody();
    qsizetype bufferedBodyBytes() const { return m_body.size(); }
    // Bytes held in internal buffers other than the body (a partial line); always bounded.
    qsizetype pendingLineBytes() const { return m_line.size(); }

    const HttpLimits &limits() const { return m_limits; }

private:
    enum class LineResult { NeedMore, Line, Failed };
    bool fail(const QString &message);
    // The head: status line, header and trailer fields, and how the body is framed.
    bool feedLine(QByteArrayView data, qsizetype *pos);
    LineResult takeLine(QByteArrayView data, qsizetype *pos, qsizetype maxBytes, const char *what,
                        QByteArray *line);
    bool parseStatusLine(const QByteArray &line);
    bool parseFieldLine(const QByteArray &line, QList<Header> *into, const char *what);
    bool headerSectionDone();
    // The body, in HttpResponseBody.cpp. Each returns false once the parser failed.
    bool feedBody(QByteArrayView data, qsizetype *pos);
    bool feedChunkDataEnd(QByteArrayView data, qsizetype *pos);
    bool parseChunkSizeLine(const QByteArray &line);
    bool deliverBody(QByteArrayView bytes);

    HttpLimits m_limits;
    std::function<void(QByteArrayView)> m_bodyCallback;
    bool m_head = false;

    State m_state = State::StatusLine;
    QString m_error;
    QByteArray m_line; // partial line across feeds
    int m_statusCode = 0;
    int m_minorVersion = 1;
    QByteArray m_reason;
    QList<Header> m_headers;
    QList<Header> m_trailers;
    qsizetype m_headerBytes = 0;
    qsizetype m_trailerBytes = 0;
    bool m_headersComplete = false; // the final response's header section was accepted
    int m_interim = 0;
    BodyKind m_bodyKind = BodyKind::None;
    qint64 m_contentLength = -1;
    qint64 m_remaining = 0; // in the current Content-Length body or chunk
    qint64 m_bodyReceived = 0;
    QByteArray m_body;
    int m_chunkEndSeen = 0; // bytes of the CRLF after chunk data seen so far
};
