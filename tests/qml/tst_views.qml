import QtQuick
import QtTest
import Portolan.Dashboard
import Portolan.Models

// Each view against the runner's real etcd (testConnection), found by objectName.
TestCase {
    id: test
    name: "Views"
    when: windowShown
    width: 800
    height: 600
    visible: true // TestCase is invisible by default, and so would be every view in it

    Component { id: overview; OverviewView { width: 780; height: 560; connection: testConnection } }
    Component { id: hosts; HostsView { width: 780; height: 560; connection: testConnection } }
    Component { id: services; ServicesView { width: 780; height: 560; connection: testConnection } }
    Component { id: events; EventsView { width: 780; height: 560; connection: testConnection } }
    Component { id: tree; KeyTreeView { width: 780; height: 560; connection: testConnection } }
    ClusterConnection { id: nowhere }
    Component { id: hostsNowhere; HostsView { width: 780; height: 560; connection: nowhere } }

    function initTestCase() {
        tryCompare(testConnection, "statusName", "ready", 10000)
    }

    function test_overviewShowsHostCards() {
        const view = createTemporaryObject(overview, test)
        const list = findChild(view, "hostList")
        verify(list)
        tryCompare(list, "count", 2)
        compare(findChild(view, "statusBanner").visible, false)
        verify(findChild(view, "eventChart").counts.length > 0)
    }

    function test_hostTableSortsAndFilters() {
        const view = createTemporaryObject(hosts, test)
        const table = findChild(view, "serviceTable")
        tryCompare(table, "count", 3)
        view.filterText = "redis"
        tryCompare(table, "count", 2)
        waitForItemPolished(view)
        waitForRendering(view)
        const h = findChild(view, "header_address")
        mouseClick(h)
        compare(view.proxy.sortRoleName, "address")
        compare(view.proxy.get(0, "address"), "10.0.0.5:49153")
        mouseClick(findChild(view, "header_address"))
        compare(view.proxy.ascending, false)
        compare(view.proxy.get(0, "address"), "10.0.0.5:49160")
        view.filterText = "no-such-service"
        tryCompare(table, "count", 0)
        const banner = findChild(view, "statusBanner")
        verify(banner.text.indexOf("No service matches") >= 0)
        view.filterText = ""
        view.host = "core-01"
        tryCompare(table, "count", 1)
    }

    function test_servicesAreGrouped() {
        const view = createTemporaryObject(services, test)
        const groups = findChild(view, "serviceGroups")
        tryCompare(groups, "count", 2)
        const summaries = []
        for (let i = 0; i < groups.count; ++i)
            summaries.push(groups.model.data(groups.model.index(i, 0), ServiceGroupModel.SummaryRole))
        compare(summaries, ["postgres: 1 instance on core-02", "redis: 2 instances on core-01, core-02"])
    }

    function test_eventsPauseAndClear() {
        const view = createTemporaryObject(events, test)
        const feed = findChild(view, "eventFeed")
        tryVerify(() => feed.count >= 5)
        waitForItemPolished(view)
        waitForRendering(view)
        mouseClick(findChild(view, "pauseButton"))
        verify(view.model.paused)
        mouseClick(findChild(view, "pauseButton"))
        verify(!view.model.paused)
        mouseClick(findChild(view, "clearButton"))
        compare(feed.count, 0)
        verify(findChild(view, "statusBanner").text.indexOf("cleared") >= 0)
    }

    function test_treeListsAndShowsValues() {
        const view = createTemporaryObject(tree, test)
        const keys = findChild(view, "keyTree")
        tryCompare(view.model, "topLevelCount", 1)
        view.model.selectKey("/portolan/hosts/core-01")
        const pane = findChild(view, "valuePane")
        tryVerify(() => pane.selected.found === true)
        verify(findChild(pane, "valueText").text.indexOf('"hostname": "core-01"') >= 0)
        verify(findChild(pane, "valueMeta").text.indexOf("no lease") >= 0)
        view.prefix = "/portolan/services/"
        view.model.rootPrefix = "/portolan/services/"
        tryCompare(view.model, "topLevelCount", 2)
        verify(keys.rows >= 2)
    }

    function test_bannerSaysWhyWhenNotConnected() {
        const view = createTemporaryObject(hostsNowhere, test)
        const banner = findChild(view, "statusBanner")
        verify(banner.text.indexOf("Not connected") >= 0)
        verify(banner.implicitHeight > 0)
        compare(findChild(view, "serviceTable").count, 0)
    }
}
