#pragma once

#include "balancer/NginxDriver.h"

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QString>
#include <memory>

// A private nginx for tests and benches: Debian's real nginx on loopback ports, every path
// (temp, pid, logs) under one directory. Its main config includes the two upstream files
// the driver writes, proxies http://127.0.0.1:httpPort() to portolan_web (with
// proxy_next_upstream) and the TCP port streamPort() to portolan_redis.
class PrivateNginx {
public:
    explicit PrivateNginx(const QString &dir);
    ~PrivateNginx();

    QString start(); // nginx -p DIR -c DIR/nginx.conf; an error sentence or empty
    void stop();     // SIGQUIT to the master and wait for it
    qint64 master() const;
    QList<qint64> workers() const;

    int httpPort() const { return m_httpPort; }
    int streamPort() const { return m_streamPort; }
    QString mainConfig() const;
    NginxDriver::Options options() const;
    QString errorLog() const;

private:
    QString m_dir;
    int m_httpPort = 0;
    int m_streamPort = 0;
};

// busybox httpd answering its own name (GET / -> "NAME\n") on a free loopback port.
class IdentityBackend {
public:
    IdentityBackend(const QString &dir, const QString &name);
    ~IdentityBackend();
    QString start(); // an error sentence or empty
    int port() const { return m_port; }
    QString name() const { return m_name; }

private:
    QString m_dir;
    QString m_name;
    int m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

int freeLoopbackPort();
// One GET over a fresh connection, bounded: the body, or empty with *status set (0: no answer).
QByteArray httpGet(int port, int timeoutMs = 2000, int *status = nullptr);
