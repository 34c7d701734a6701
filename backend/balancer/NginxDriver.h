#pragma once

#include "balancer/BalancerDriver.h"
#include "balancer/NginxConfig.h"

#include <QByteArray>
#include <QList>

// Open-source nginx has no upstream API, so every change is a new include file and a reload:
// render, rename in, `nginx -T`, SIGHUP to the master, and wait until its workers are new ones.
// A refused or failed step puts the previous bytes back, so the files on disk always hold what
// nginx runs. See docs/load-balancing.md for the operator's side (the include lines).
class NginxDriver : public BalancerDriver {
public:
    struct Options {
        // Upstreams of HTTP services, included in the operator's http block (Debian's
        // nginx.conf already includes conf.d/*.conf there); empty: HTTP services are not
        // written. At least one of the two paths is needed.
        QString httpConfigPath = QStringLiteral("/etc/nginx/conf.d/portolan-upstreams.conf");
        // Upstreams of TCP services, included in a stream block; empty: TCP services are not
        // written.
        QString streamConfigPath;
        QString mainConfigPath = QStringLiteral("/etc/nginx/nginx.conf"); // nginx -c
        QString prefix;                                     // nginx -p, when not empty
        QString pidFile = QStringLiteral("/run/nginx.pid"); // the master's, as in `pid`
        QString nginxBinary = QStringLiteral("nginx");
        int maxFails = 1;             // per server: failed attempts before nginx rests it ...
        int failTimeoutSeconds = 10;  // ... for this long
        int commandTimeoutMs = 10000; // each nginx -v / nginx -T
        int reloadTimeoutMs = 10000;  // signal -> the master's workers are all new
    };

    explicit NginxDriver(Options options);

    QString kind() const override { return QStringLiteral("nginx"); }
    QString prepare() override;
    QString version() const override { return m_version; }
    Change classify(const BalancerPlan &plan) const override;
    Result apply(const BalancerPlan &plan) override;
    bool verify(QString *error) override;

private:
    struct File {
        QString path;
        PlannedBackend::Mode mode;
        QByteArray wanted;   // rendered from the plan
        QByteArray previous; // on disk before this apply
        bool existed = false;
        bool written = false;
    };

    QList<File> render(const BalancerPlan &plan, QString *error) const;
    QString writeAll(QList<File> &files) const;
    QString restoreAll(QList<File> &files) const;
    QString check(const QList<File> &files, bool *refused) const; // nginx -T
    QString reload(qint64 master) const;
    QStringList nginxArgs(const QStringList &args) const;

    Options m_options;
    NginxConfig::Settings m_settings;
    QString m_version;
    qint64 m_master = 0;         // the master that was verified to run m_applied; 0: none
    QList<QByteArray> m_applied; // per file, in the order render() returns them
};
