#pragma once

#include "docker/DockerEndpoint.h"
#include "http/HttpResponseParser.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>

class QIODevice;
class QLocalSocket;
class QTimer;

// One HTTP exchange with the Docker daemon on its own connection (unix, tcp or TLS), driven by
// the event loop. Used by DockerClient (buffered JSON answers) and DockerEventStream
// (streamed body). finished() is emitted exactly once unless abort() or the destructor comes
// first; after it the object does nothing more and may be deleted.
class DockerApiCall : public QObject {
    Q_OBJECT
public:
    DockerApiCall(const DockerEndpoint &endpoint, const QByteArray &method,
                  const QByteArray &target, QObject *parent = nullptr);
    ~DockerApiCall() override;

    // Normal calls: the whole exchange must finish within timeoutMs. Streaming calls: only the
    // connection and the response headers; the body may then last forever.
    void setTimeout(int timeoutMs);
    // Streams a 2xx body through bodyData() with no total size limit (each chunk stays bounded).
    // Non-2xx answers are still buffered so that the error message can be read.
    void setStreaming(bool streaming);
    void setLimits(const HttpLimits &limits);
    // Unix sockets only: ask the daemon to keep the connection open after the answer (see
    // takeReusableConnection()).
    void setKeepAlive(bool keepAlive);
    // Before start(): send the request on this connected socket (from an earlier keep-alive
    // call) instead of connecting. If the daemon closed it meanwhile and nothing was answered,
    // the call connects anew once.
    void adoptConnection(QLocalSocket *socket);
    // After finished() without error: the connection, when the daemon left it open and it can
    // carry another request; the caller owns it. nullptr otherwise.
    QLocalSocket *takeReusableConnection();

    void start();
    // Closes the connection without emitting finished().
    void abort();

    QByteArray method() const { return m_method; }
    QByteArray target() const { return m_target; }
    const HttpResponseParser &response() const { return m_parser; }
    // The buffered body (non-streaming calls, or streaming calls that got a non-2xx answer).
    QByteArray body() const { return m_body; }

Q_SIGNALS:
    void headersReceived();
    void bodyData(const QByteArray &bytes);
    // error is empty when a complete response arrived (whatever its status); otherwise one
    // sentence naming the daemon, e.g. "Docker at unix:///var/run/docker.sock: connection refused".
    void finished(const QString &error);

private:
    void startCall();
    void connectUnix();
    void watchUnixSocket(QLocalSocket *socket);
    // A kept-alive connection failed before any answer: connect anew once. True when it did.
    bool retryOnFreshConnection();
    void onConnected();
    void onReadyRead();
    void onPeerClosed();
    void onSocketError(const QString &reason);
    void onTimeout();
    void complete(const QString &error);
    void closeSocket();
    bool isStreamingBody() const;

    DockerEndpoint m_endpoint;
    QByteArray m_method;
    QByteArray m_target;
    int m_timeoutMs = 10000;
    bool m_streaming = false;
    HttpLimits m_limits;
    HttpResponseParser m_parser;
    QByteArray m_body;
    QIODevice *m_socket = nullptr;
    QTimer *m_timer = nullptr;
    bool m_done = false;
    bool m_inStart = false; // inside start(): finished() must wait for the event loop
    bool m_sawHeaders = false;
    bool m_keepAlive = false;
    bool m_reusedConnection = false; // the request went out on an adopted connection
    bool m_sawBytes = false;
    QLocalSocket *m_reusable = nullptr; // kept open after a complete answer
};
