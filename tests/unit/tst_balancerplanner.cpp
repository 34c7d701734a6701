// Which services portolan-lb routes, under what backend names, with which servers.
#include "balancer/BalancerPlanner.h"

#include <QTest>

namespace {
ServiceRecord instance(const QString &host, const QString &name, int port,
                       const QString &health = {}, const QStringList &tags = {})
{
    ServiceRecord s;
    s.host = host;
    s.name = name;
    s.id = QStringLiteral("%1:%2.1:%3").arg(host, name).arg(port);
    s.ip = QStringLiteral("10.0.0.%1").arg(host.right(1));
    s.port = 40000 + port;
    s.protocol = QStringLiteral("tcp");
    s.health = health;
    s.tags = tags;
    return s;
}

QStringList describe(const BalancerPlan &plan)
{
    QStringList out;
    for (const PlannedBackend &b : plan.backends) {
        QStringList servers;
        for (const PlannedServer &s : b.servers)
            servers << s.address();
        out << QStringLiteral("%1%2 %3/%4 [%5]")
                   .arg(b.name, b.mode == PlannedBackend::Mode::Tcp ? "(tcp)" : "")
                   .arg(b.servers.size())
                   .arg(b.registered)
                   .arg(servers.join(' '));
    }
    return out;
}
} // namespace

class TestBalancerPlanner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void routesByNameAndTag()
    {
        BalancerPlanner p({{"web", "redis"}, {"lb"}, {"redis"}});
        const QList<ServiceRecord> services{
            instance("h1", "web", 80),
            instance("h2", "web", 80),
            instance("h1", "api", 81, {}, {"lb"}),
            instance("h1", "other", 82),
        };
        QCOMPARE(describe(p.plan(services)),
                 (QStringList{"portolan_api 1/1 [10.0.0.1:40081]", "portolan_redis(tcp) 0/0 []",
                              "portolan_web 2/2 [10.0.0.1:40080 10.0.0.2:40080]"}));
    }

    void onlyInstancesTakingTrafficAreServers()
    {
        BalancerPlanner p({{"web"}, {}, {}});
        const QList<ServiceRecord> services{
            instance("h1", "web", 80, "healthy"), instance("h2", "web", 80, "unhealthy"),
            instance("h3", "web", 80, "starting"), instance("h4", "web", 80, "none"),
            instance("h5", "web", 80, "")};
        QCOMPARE(describe(p.plan(services)),
                 (QStringList{"portolan_web 3/5 [10.0.0.1:40080 10.0.0.4:40080 10.0.0.5:40080]"}));
    }

    void tagRoutedBackendsStayWhenEmpty()
    {
        BalancerPlanner p({{}, {"lb"}, {}});
        QCOMPARE(p.plan({instance("h1", "api", 81, {}, {"lb"})}).backends.size(), 1);
        QCOMPARE(describe(p.plan({})), (QStringList{"portolan_api 0/0 []"}));
    }

    void udpIsNeverRouted()
    {
        BalancerPlanner p({{"dns"}, {}, {}});
        ServiceRecord udp = instance("h1", "dns", 53);
        udp.protocol = QStringLiteral("udp");
        QCOMPARE(describe(p.plan({udp})), (QStringList{"portolan_dns 0/0 []"}));
    }

    void ipv6IsBracketed()
    {
        BalancerPlanner p({{"web"}, {}, {}});
        ServiceRecord s = instance("h1", "web", 80);
        s.ip = QStringLiteral("fd00::5");
        QCOMPARE(p.plan({s}).backends.first().servers.first().address(),
                 QStringLiteral("[fd00::5]:40080"));
    }

    void namesAreSafeAndDistinct()
    {
        QCOMPARE(BalancerPlanner::backendName("web-1.v2_x"), QStringLiteral("portolan_web-1.v2_x"));
        const QString spaced = BalancerPlanner::backendName("a b");
        const QString underscored = BalancerPlanner::backendName("a_b");
        QVERIFY(spaced.startsWith("portolan_a_b_"));
        QCOMPARE(spaced.size(), QStringLiteral("portolan_a_b_").size() + 8);
        QVERIFY(spaced != underscored);
        QCOMPARE(BalancerPlanner::backendName("a b"), spaced); // stable
        QVERIFY(!BalancerPlanner::backendName("x\n}{ y").contains('\n'));
        QVERIFY(!BalancerPlanner::serverName("core-01:web.1:80").contains(' '));
    }

    void plansCompareEqualWhenNothingChanged()
    {
        BalancerPlanner p({{"web"}, {}, {}});
        const QList<ServiceRecord> a{instance("h1", "web", 80), instance("h2", "web", 80)};
        const QList<ServiceRecord> b{a.at(1), a.at(0)};
        QCOMPARE(p.plan(a), p.plan(b));
    }

    // A plan that takes a server away drains (BalancerController reloads for it at once).
    void drainsWhenAServerLeaves()
    {
        BalancerPlanner p({{"web", "api"}, {}, {}});
        const QList<ServiceRecord> two{instance("h1", "web", 80), instance("h2", "web", 80)};
        const BalancerPlan before = p.plan(two);
        QVERIFY(!before.drains(before));
        QVERIFY(!p.plan(two + QList<ServiceRecord>{instance("h3", "web", 80)}).drains(before));
        QVERIFY(p.plan({two.at(0)}).drains(before)); // stopped
        QVERIFY(p.plan({two.at(0), instance("h2", "web", 80, "unhealthy")})
                    .drains(before)); // no traffic now
        ServiceRecord moved = two.at(1);
        moved.port += 1;
        QVERIFY(p.plan({two.at(0), moved}).drains(before)); // same id, new port
        QVERIFY(!BalancerPlan().drains(BalancerPlan()));
        QVERIFY(BalancerPlan().drains(before));
    }
};

QTEST_GUILESS_MAIN(TestBalancerPlanner)
#include "tst_balancerplanner.moc"
