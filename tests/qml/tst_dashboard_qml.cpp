// Runs tests/qml/tst_*.qml offscreen against a private, real etcd filled with the records three
// agents would publish; the QML sees it as the context property `testConnection`, and can change
// the keyspace through `testEtcd`.
#include "../unit/EtcdTestServer.h"
#include "dashboard/ClusterConnection.h"
#include "records/Records.h"

#include <QQmlContext>
#include <QQmlEngine>
#include <QStandardPaths>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(Portolan_ModelsPlugin)
Q_IMPORT_QML_PLUGIN(Portolan_DashboardPlugin)

class Setup : public QObject {
    Q_OBJECT
public:
    // For the QML tests as `testEtcd`: change the keyspace under a view's feet (etcdctl).
    Q_INVOKABLE bool put(const QString &key, const QString &value)
    {
        return m_etcd.etcdctl({QStringLiteral("put"), key, value}) == 0;
    }
    Q_INVOKABLE bool removePrefix(const QString &prefix)
    {
        return m_etcd.etcdctl({QStringLiteral("del"), QStringLiteral("--prefix"), prefix}) == 0;
    }

public Q_SLOTS:
    void applicationAvailable()
    {
        QStandardPaths::setTestModeEnabled(true); // profiles go to a test settings file
        if (!m_etcd.start()) {
            qWarning("%s", qPrintable(m_etcd.lastError()));
            return;
        }
        auto put = [this](const QString &key, const QString &value) {
            m_etcd.etcdctl({QStringLiteral("put"), key, value});
        };
        const QString host = QStringLiteral(
            R"({"hostname":"%1","address":"%2","agentVersion":"0.1.0","dockerVersion":"20.10.24"})");
        const QString svc = QStringLiteral(
            R"({"id":"%1:%2:%3","name":"%4","host":"%1","ip":"10.0.0.5","port":%5,"protocol":"tcp",)"
            R"("tags":["db"],"containerId":"8f1c00000000","containerName":"%2","image":"example/%4:1",)"
            R"("key":"/services/%4/%1:%2:%3","registeredAt":"2026-11-27T05:00:01.000Z","health":"%6"})");
        put(QStringLiteral("/portolan/hosts/core-01"), host.arg("core-01", "10.0.0.5"));
        put(QStringLiteral("/portolan/hosts/core-02"), host.arg("core-02", "10.0.0.6"));
        put(QStringLiteral("/portolan/services/core-01/core-01:redis.1:6379"),
            svc.arg("core-01", "redis.1", "6379", "redis").arg(49153).arg("healthy"));
        put(QStringLiteral("/portolan/services/core-02/core-02:redis.2:6379"),
            svc.arg("core-02", "redis.2", "6379", "redis").arg(49160).arg("unhealthy"));
        put(QStringLiteral("/portolan/services/core-02/core-02:pg.1:5432"),
            svc.arg("core-02", "pg.1", "5432", "postgres").arg(49170).arg("none"));
        // Two load balancers as portolan-lb writes them: one fine, one whose last apply failed.
        put(QStringLiteral("/portolan/balancers/lb-1"), balancer(QStringLiteral("lb-1")));
        put(QStringLiteral("/portolan/balancers/lb-2"), balancer(QStringLiteral("lb-2")));
    }

public:
    // The record of lb-1 (haproxy, routes redis) or lb-2 (nginx, routes postgres, last apply
    // failed); `error` replaces the last error.
    Q_INVOKABLE QString balancer(const QString &name, const QString &error = {}) const
    {
        BalancerRecord b;
        b.name = name;
        b.host = QStringLiteral("edge-01");
        b.version = QStringLiteral("0.1.0");
        b.startedAt = QDateTime::currentDateTimeUtc().addSecs(-3 * 3600);
        b.lastApplyAt = QDateTime::currentDateTimeUtc().addSecs(-20);
        if (name == QLatin1String("lb-1")) {
            b.driver = QStringLiteral("haproxy");
            b.driverVersion = QStringLiteral("2.6.12");
            b.lastApplyMethod = QStringLiteral("runtime");
            b.routes = {
                BalancerRoute{QStringLiteral("redis"), QStringLiteral("portolan_redis"), 2, 1}};
        } else {
            b.driver = QStringLiteral("nginx");
            b.driverVersion = QStringLiteral("1.22.1");
            b.lastApplyMethod = QStringLiteral("reload");
            b.lastError =
                QStringLiteral("nginx -t refused the new upstreams; the previous file stays");
            b.routes = {
                BalancerRoute{QStringLiteral("postgres"), QStringLiteral("pg_upstream"), 1, 1}};
        }
        if (!error.isEmpty())
            b.lastError = error;
        if (!b.lastError.isEmpty())
            b.lastErrorAt = QDateTime::currentDateTimeUtc().addSecs(-5);
        return QString::fromUtf8(b.toEtcdValue());
    }

public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral("qrc:/"));
        auto *connection = new ClusterConnection(engine);
        connection->connectToEtcd(EtcdClientOptions{{m_etcd.endpoint()}, 5000, {}, {}, {}, {}, {}});
        engine->rootContext()->setContextProperty(QStringLiteral("testConnection"), connection);
        engine->rootContext()->setContextProperty(QStringLiteral("testEtcd"), this);
    }

private:
    EtcdTestServer m_etcd;
};

QUICK_TEST_MAIN_WITH_SETUP(tst_dashboard_qml, Setup)
#include "tst_dashboard_qml.moc"
