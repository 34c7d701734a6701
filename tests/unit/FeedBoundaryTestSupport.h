#pragma once

// Shared by the feed's HTTP boundary tests (issue 15; tst_feedboundary_http, _access, _websocket):
// a raw socket client on 127.0.0.1 and FeedBoundaryTestCase, which holds a ready ClusterState and
// starts a FeedServer. The server runs on the test's thread, so every wait spins the event loop.
// Header-only.

#include "cluster/ClusterState.h"
#include "feed/FeedServer.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QTest>
#include <memory>
#include <optional>

inline const QByteArray kToken = "s3cret-feed-token";

// Reads answers with Content-Length framing, the way a keep-alive client does.
struct RawClient {
    QTcpSocket socket;
    QByteArray buffer;

    bool connect(quint16 port)
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        return socket.waitForConnected(5000);
    }
    // Waits until `done` holds for the bytes read so far, or the peer closed, or `ms` passed.
    template <typename Done> bool waitFor(Done done, int ms = 5000)
    {
        QElapsedTimer timer;
        timer.start();
        while (!done() && timer.elapsed() < ms) {
            QTest::qWait(5);
            buffer += socket.readAll();
            if (socket.state() == QAbstractSocket::UnconnectedState)
                break;
        }
        buffer += socket.readAll();
        return done();
    }
    // One answer: status, headers (lower-case names) and body; removed from the buffer.
    struct Answer {
        int status = 0;
        QHash<QByteArray, QByteArray> headers;
        QByteArray body;
    };
    std::optional<Answer> next(bool head = false, int ms = 5000)
    {
        std::optional<Answer> answer;
        waitFor(
            [&] {
                if (!answer)
                    answer = parse(head);
                return answer.has_value();
            },
            ms);
        return answer;
    }
    std::optional<Answer> parse(bool head)
    {
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return std::nullopt;
        Answer answer;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        answer.status = lines.value(0).mid(9, 3).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            answer.headers.insert(lines[i].left(colon).toLower(),
                                  lines[i].mid(colon + 1).trimmed());
        }
        const qsizetype length = head ? 0 : answer.headers.value("content-length").toLongLong();
        if (buffer.size() < end + 4 + length)
            return std::nullopt;
        answer.body = buffer.mid(end + 4, length);
        buffer.remove(0, end + 4 + length);
        return answer;
    }
    bool closedByPeer(int ms = 5000)
    {
        return waitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, ms);
    }
};

class FeedBoundaryTestCase : public QObject {
protected:
    void init()
    {
        m_state = std::make_unique<ClusterState>(QStringLiteral("/portolan"));
        m_state->setStatus(ClusterState::Status::Ready);
    }

    void cleanup()
    {
        m_server.reset();
        m_state.reset();
    }

    void start(FeedServerOptions options = {})
    {
        options.hostname = QStringLiteral("core-01");
        m_server = std::make_unique<FeedServer>(m_state.get(), options);
        const QString error = m_server->listen();
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    std::unique_ptr<ClusterState> m_state;
    std::unique_ptr<FeedServer> m_server;
};
