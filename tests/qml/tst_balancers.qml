import QtQuick
import QtTest
import Portolan.Dashboard
import Portolan.Models

// Health and load balancers (issue 12) against the runner's real etcd (testConnection): its
// services carry Docker health, and /portolan/balancers/ holds lb-1 (haproxy, routes redis) and
// lb-2 (nginx, routes postgres, its last apply failed). Items are found by objectName.
TestCase {
    id: test
    name: "Balancers"
    when: windowShown
    width: 800
    height: 600
    visible: true

    Component { id: hosts; HostsView { width: 780; height: 560; connection: testConnection } }
    Component { id: services; ServicesView { width: 780; height: 560; connection: testConnection } }
    Component { id: balancersView; BalancersView { width: 780; height: 560; connection: testConnection } }

    function initTestCase() {
        tryCompare(testConnection, "statusName", "ready", 10000)
    }

    // Every instance shows its Docker health; the balancers that route it are named, and a
    // routed instance that is unhealthy is marked as getting no traffic. Sorting by health puts
    // the problems first.
    function test_hostTableShowsHealthAndRouting() {
        const view = createTemporaryObject(hosts, test)
        const table = findChild(view, "serviceTable")
        tryCompare(table, "count", 3)
        waitForItemPolished(view)
        waitForRendering(view)
        mouseClick(findChild(view, "header_health"))
        compare(view.proxy.sortRoleName, "health")
        compare(view.proxy.get(0, "serviceId"), "core-02:redis.2:6379")
        tryVerify(() => view.cellAt(1, 0).display === "unhealthy", 2000,
                  "the table shows the sorted rows")
        compare(view.cellAt(1, 0).textColor, Theme.bad)
        compare(view.cellAt(9, 0).display, "no traffic · lb-1 as portolan_redis")
        compare(view.cellAt(9, 0).textColor, Theme.bad)
        compare(view.cellAt(1, 1).display, "healthy")
        compare(view.cellAt(1, 1).textColor, Theme.good)
        compare(view.cellAt(9, 1).display, "lb-1 as portolan_redis")
        compare(view.cellAt(1, 2).display, "no check")
        // The filter finds instances by health and by the balancer that routes them.
        view.filterText = "unhealthy"
        tryCompare(table, "count", 1)
        view.filterText = "lb-2"
        tryCompare(table, "count", 1)
        compare(view.proxy.get(0, "name"), "postgres")
    }

    // The Balancers view: one card per record, the failing one's error shown; edits in etcd
    // show up live (a new error, a balancer gone), and the view says why it is empty.
    function test_balancersView() {
        const view = createTemporaryObject(balancersView, test)
        const list = findChild(view, "balancerList")
        tryCompare(list, "count", 2)
        waitForItemPolished(view)
        waitForRendering(view)
        compare(findChild(view, "balancerCount").text, "2 balancers, 1 with an error")
        const card = i => { list.currentIndex = i; return list.currentItem }
        compare(findChild(card(0), "balancerName").text, "lb-1")
        compare(findChild(card(0), "balancerDriver").text, "haproxy 2.6.12")
        compare(findChild(card(0), "balancerHost").text, "on edge-01")
        verify(/^last applied \d+ s ago through the Runtime API \(no reload\)$/.test(
                   findChild(card(0), "balancerApplied").text), findChild(card(0), "balancerApplied").text)
        compare(findChild(card(0), "balancerError").visible, false)
        compare(findChild(card(1), "balancerDriver").text, "nginx 1.22.1")
        compare(findChild(card(1), "balancerError").visible, true)
        compare(findChild(card(1), "balancerErrorText").text,
                "nginx -t refused the new upstreams; the previous file stays")
        const routes = []
        for (const r of findChildrenNamed(card(0), "balancerRoute"))
            routes.push(r.text)
        compare(routes, ["redis → portolan_redis: 2 servers, 1 ready"])
        compare(findChild(view, "statusBanner").visible, false)

        verify(testEtcd.put("/portolan/balancers/lb-1",
                            testEtcd.balancer("lb-1", "haproxy refused the reload: <b>bad</b> config")))
        tryVerify(() => findChild(card(0), "balancerError").visible, 5000)
        compare(findChild(card(0), "balancerErrorText").text, "haproxy refused the reload: <b>bad</b> config")
        compare(findChild(view, "balancerCount").text, "2 balancers, 2 with an error")
        verify(testEtcd.removePrefix("/portolan/balancers/"))
        tryCompare(list, "count", 0, 5000)
        verify(findChild(view, "statusBanner").text.indexOf("No load balancer is running") === 0)
        // Back as the other tests expect them.
        verify(testEtcd.put("/portolan/balancers/lb-1", testEtcd.balancer("lb-1")))
        verify(testEtcd.put("/portolan/balancers/lb-2", testEtcd.balancer("lb-2")))
        tryCompare(list, "count", 2, 5000)
    }

    function findChildrenNamed(item, name) {
        const found = []
        const walk = it => {
            if (it.objectName === name)
                found.push(it)
            for (let i = 0; i < it.children.length; ++i)
                walk(it.children[i])
        }
        walk(item)
        return found
    }

    function test_serviceGroupsSayWhereTheyAreRouted() {
        const view = createTemporaryObject(services, test)
        const groups = findChild(view, "serviceGroups")
        tryCompare(groups, "count", 2)
        // Where each name is routed, which instances are not healthy, and each instance's health.
        const role = (i, r) => groups.model.data(groups.model.index(i, 0), r)
        compare(role(0, ServiceGroupModel.RoutedByRole), "lb-2 as pg_upstream (1 of 1 ready)")
        compare(role(1, ServiceGroupModel.RoutedByRole), "lb-1 as portolan_redis (1 of 2 ready)")
        compare(role(1, ServiceGroupModel.HealthSummaryRole), "1 unhealthy")
        compare(role(0, ServiceGroupModel.HealthSummaryRole), "")
        waitForRendering(view)
        const routed = findChildrenNamed(groups, "groupRoutedBy").map(l => l.text).sort()
        compare(routed, ["routed by lb-1 as portolan_redis (1 of 2 ready)",
                         "routed by lb-2 as pg_upstream (1 of 1 ready)"])
        const health = findChildrenNamed(groups, "instanceHealth").map(l => l.text).sort()
        compare(health, ["healthy", "no check", "unhealthy"])
    }

}
