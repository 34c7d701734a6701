#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

// Bounds on one request's head, enforced before anything else looks at it (docs/security.md).
struct HttpRequestLimits {
    qsizetype maxRequestLineBytes = 8 * 1024; // without CRLF; more answers 414
    qsizetype maxHeaderLineBytes = 8 * 1024;  // one field line, without CRLF; more answers 431
    qsizetype maxHeaderBytes = 16 * 1024;     // the whole head, CRLFs and blank line included
    int maxHeaderCount = 64;                  // field lines; more answers 431
};

// Incremental, strict HTTP/1.x request-head parser for a server that takes no request bodies.
//
// It reads the request line and the header section and stops there: bytes after the blank
// line are left to the caller (the next pipelined request, or WebSocket frames). Strict on
// purpose: CRLF line ends only; an origin-form target of printable ASCII; HTTP/1.0 or 1.1;
// token field names with no whitespace before the colon; no obs-fold or control characters;
// Content-Length as plain digits, given once; Host exactly once on HTTP/1.1. Every fault has
// the status a server answers with (400, 414, 431, 505) and a sentence for the log.
class HttpRequestParser {
public:
    enum class State { RequestLine, Headers, Complete, Error };
    using Header = QPair<QByteArray, QByteArray>; // name as received, value without OWS

    explicit HttpRequestParser(const HttpRequestLimits &limits = HttpRequestLimits());

    // Ready for the next request on the same connection.
    void reset();

    // Consumes bytes up to and including the blank line that ends the head, and returns how
    // many it took; the rest of `data` is not the head's. Takes nothing once complete or failed.
    qsizetype feed(QByteArrayView data);

    State state() const { return m_state; }
    bool isComplete() const { return m_state == State::Complete; }
    bool hasError() const { return m_state == State::Error; }
    bool hasStarted() const { return m_headBytes > 0; } // some byte of a request arrived
    int errorStatus() const { return m_errorStatus; }   // 400, 414, 431 or 505
    QString errorString() const { return m_error; }

    QByteArray method() const { return m_method; }
    QByteArray target() const { return m_target; } // as received: "/api/v1/tree?prefix=%2F"
    QByteArray path() const;                       // the target before '?', still encoded
    QByteArray query() const;                      // after '?', still encoded; empty if none
    int httpMinorVersion() const { return m_minorVersion; }
    const QList<Header> &headers() const { return m_headers; }
    // Case-insensitive; the first value, or a null QByteArray when absent.
    QByteArray header(QByteArrayView name) const;
    QList<QByteArray> headerValues(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const { return !header(name).isNull(); }

    qint64 contentLength() const { return m_contentLength; } // -1 when not given
    bool hasTransferEncoding() const { return hasHeader("transfer-encoding"); }
    // A body follows the head (Content-Length above 0, or any Transfer-Encoding).
    bool hasBody() const { return m_contentLength > 0 || hasTransferEncoding(); }
    // HTTP/1.1 without "Connection: close"; HTTP/1.0 never keeps the connection.
    bool keepAlive() const;
    // GET with "Upgrade: websocket" and an "upgrade" token in Connection.
    bool isWebSocketUpgrade() const;
    // Whether a comma-separated header holds `token` (case-insensitive), e.g. Connection.
    bool headerHasToken(QByteArrayView name, QByteArrayView token) const;

    const HttpRequestLimits &limits() const { return m_limits; }

private:
    bool fail(int status, const QString &message);
    bool parseRequestLine(const QByteArray &line);
    bool parseFieldLine(const QByteArray &line);
    bool headSectionDone();

    HttpRequestLimits m_limits;
    State m_state = State::RequestLine;
    int m_errorStatus = 0;
    QString m_error;
    QByteArray m_line; // partial line across feeds
    qsizetype m_headBytes = 0;
    QByteArray m_method;
    QByteArray m_target;
    int m_minorVersion = 1;
    QList<Header> m_headers;
    qint64 m_contentLength = -1;
};
