#pragma once

#include "balancer/BalancerDriver.h"
#include "balancer/HaproxyConfig.h"
#include "balancer/HaproxyConfigFile.h"
#include "balancer/HaproxyRuntime.h"

// HAProxy 2.6 in master-worker mode. Portolan owns one file of backends (configPath), loaded
// by the operator with a second `-f` after their own config. Servers joining or leaving an
// existing backend go through the Runtime API (`add server`, `set server ... state`,
// `del server`) without a reload; a backend added or removed, or a mode change, writes the
// file and reloads through the master CLI, checked with `show proc`. After every change the
// file is rewritten (once `haproxy -c` accepts it) so that a reload never loses a runtime
// change.
class HaproxyDriver : public BalancerDriver {
public:
    struct Options {
        QString configPath = QStringLiteral("/etc/haproxy/portolan.cfg");
        QString mainConfigPath = QStringLiteral("/etc/haproxy/haproxy.cfg");
        QString runtimeSocket = QStringLiteral("/run/haproxy/admin.sock");
        QString masterSocket = QStringLiteral("/run/haproxy/master.sock");
        QString haproxyBinary = QStringLiteral("haproxy");
        int socketTimeoutMs = 2000;  // one exchange on either socket
        int checkTimeoutMs = 10000;  // `haproxy -c`, `haproxy -v`
        int reloadTimeoutMs = 10000; // reload sent -> new worker seen in `show proc`
    };
    explicit HaproxyDriver(const Options &options);

    QString kind() const override { return QStringLiteral("haproxy"); }
    QString prepare() override;
    QString version() const override { return m_version; }
    Change classify(const BalancerPlan &plan) const override;
    Result apply(const BalancerPlan &plan) override;
    bool verify(QString *error) override;
    bool hasUnpersisted() const override { return m_filePending; }
    Result persist() override;

private:
    // Reads what HAProxy holds in the portolan_* backends (and the servers still draining).
    bool readLive(HaproxyState *live, QMap<QString, QSet<QString>> *draining, QString *error) const;
    void applyRuntime(const HaproxyState &desired, Result *r);
    void applyReload(const HaproxyState &desired, Result *r);
    // The file follows m_applied; written only when it differs and haproxy -c accepts it.
    void writeFile(Result *r);
    // `del server` for the servers in maintenance; those with connections stay for next time.
    void deleteDrained();
    QString runtime(const QString &command, QString *error) const;
    bool waitForReload(const HaproxyProcesses &before, HaproxyProcesses *after,
                       QString *error) const;

    Options m_options;
    HaproxySocket m_runtime;
    HaproxySocket m_master;
    HaproxyConfigFile m_file;
    QString m_version;
    HaproxyState m_applied;                  // what HAProxy holds, as far as the driver knows
    QMap<QString, QSet<QString>> m_draining; // backend -> servers in maint awaiting `del server`
    bool m_synced = false;      // m_applied was confirmed from HAProxy (else re-read first)
    bool m_filePending = false; // runtime changes not yet in the file (persist() writes them)
};
