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
    Component { id: freshConnection; ClusterConnection {} }
    Component { id: hostsNowhere; HostsView { width: 780; height: 560; connection: nowhere } }
    Component { id: bar; ConnectionBar { width: 780; connection: testConnection } }
    Component {
        id: hostCard
        HostCard {
            hostname: "core-09"; address: "10.0.0.9"; up: true; serviceCount: 1
            lastEvent: "start"; lastEventTime: new Date(Date.now() - 5000)
            dockerVersion: "20.10.24"; goneAt: null
        }
    }

    // The tree tests' own keys go after each test, passed or not, so "/" lists one folder again.
    function cleanup() {
        for (const prefix of ["/portolan-treetest/", "/portolan-livetest/", "/portolan-watchtest/"])
            testEtcd.removePrefix(prefix)
    }

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
        // etcd health: members, leader, database size.
        const members = findChild(view, "etcdHealthMembers")
        tryVerify(() => members.text.indexOf("1 member: ") === 0, 10000, members.text)
        const leader = findChild(view, "etcdHealthLeader")
        verify(leader.text.indexOf("has a leader") === 0, leader.text)
        verify(/db \d+ (B|KiB|MiB)/.test(leader.text), leader.text)
    }

    function test_hostTableSortsAndFilters() {
        const view = createTemporaryObject(hosts, test)
        const table = findChild(view, "serviceTable")
        tryCompare(table, "count", 3)
        compare(view.columnKeys.length, 11)
        view.filterText = "redis"
        tryCompare(table, "count", 2)
        waitForItemPolished(view)
        waitForRendering(view)
        // Port, numerically: 49153 before 49160, then the other way round.
        mouseClick(findChild(view, "header_port"))
        compare(view.proxy.sortRoleName, "port")
        compare(view.proxy.get(0, "address"), "10.0.0.5:49153")
        mouseClick(findChild(view, "header_port"))
        compare(view.proxy.ascending, false)
        compare(view.proxy.get(0, "address"), "10.0.0.5:49160")
        // The address column sorts by IP, then port.
        mouseClick(findChild(view, "header_address"))
        compare(view.proxy.sortRoleName, "ip")
        view.filterText = "no-such-service"
        tryCompare(table, "count", 0)
        const banner = findChild(view, "statusBanner")
        verify(banner.text.indexOf("No service matches") >= 0)
        view.filterText = ""
        view.host = "core-01"
        tryCompare(table, "count", 1)
    }

    function test_hostTableHeaderAndCells() {
        const view = createTemporaryObject(hosts, test)
        const table = findChild(view, "serviceTable")
        tryCompare(table, "count", 3)
        waitForItemPolished(view)
        waitForRendering(view)
        const header = findChild(view, "serviceTableHeader")
        verify(header)
        const titles = []
        for (const key of ["name", "health", "id", "address", "port", "protocol", "tags", "container",
                           "image", "routed", "age"]) {
            const h = findChild(view, "header_" + key)
            verify(h, "header_" + key)
            titles.push(h.display)
        }
        compare(titles, ["Name", "Health", "ID", "Address", "Port", "Protocol", "Tags", "Container",
                         "Image", "Routed by", "Age"])
        // Default sort by name: postgres, redis, redis; the first row's cells say so.
        const cell = view.cellAt(0, 0)
        compare(cell.objectName, "serviceCell")
        compare(cell.display, "postgres")
        compare(view.cellAt(1, 0).display, "no check")
        compare(view.cellAt(4, 0).display, "49170")
        compare(view.cellAt(6, 0).display, "db")
        compare(view.cellAt(8, 0).display, "example/postgres:1")
        compare(view.cellAt(9, 0).display, "lb-2 as pg_upstream")
        // Age is the last of 11 columns: at this width it is reached by scrolling.
        view.positionViewAtColumn(10)
        tryVerify(() => view.cellAt(10, 0) !== null)
        verify(view.cellAt(10, 0).display.length > 0)
        // The titles scroll with the rows: Age's title is above Age's cells, both in view.
        waitForRendering(view)
        const ageTitle = findChild(view, "header_age")
        const titleX = ageTitle.mapToItem(table, 0, 0).x
        compare(titleX, view.cellAt(10, 0).mapToItem(table, 0, 0).x)
        verify(titleX >= 0 && titleX + ageTitle.width <= table.width + 1, "Age title at " + titleX)
        // Ages are counted against the clock the view is given (WallClock.now in the cells).
        const t = new Date(2026, 10, 27, 12, 0, 0)
        compare(view.age(t, new Date(t.getTime() + 5000)), "5 s")
        compare(view.age(t, new Date(t.getTime() + 125000)), "2 min")
        compare(view.age(t, new Date(t.getTime() + 3 * 86400000)), "3 d")
    }

    function test_hostTableResizesColumns() {
        const view = createTemporaryObject(hosts, test)
        const table = findChild(view, "serviceTable")
        tryCompare(table, "count", 3)
        waitForItemPolished(view)
        waitForRendering(view)
        const before = view.cellAt(0, 0).width
        const edge = findChild(view, "resize_name")
        verify(edge)
        mousePress(edge, 4, 10)
        mouseMove(edge, 64, 10)
        mouseRelease(edge, 64, 10)
        waitForRendering(view)
        tryVerify(() => Math.abs(view.cellAt(0, 0).width - (before + 60)) <= 2,
                  2000, "name column " + before + " px wide should grow by 60 px")
    }

    function test_hostTableKeyboardSelection() {
        const view = createTemporaryObject(hosts, test)
        const table = findChild(view, "serviceTable")
        tryCompare(table, "count", 3)
        waitForItemPolished(view)
        waitForRendering(view)
        compare(view.selectedId, "")
        mouseClick(view.cellAt(0, 0))
        compare(view.selectedId, "core-02:pg.1:5432")
        verify(table.activeFocus)
        keyClick(Qt.Key_Down)
        compare(view.selectedId, view.proxy.get(1, "serviceId"))
        verify(view.cellAt(2, 1).selected)
        verify(!view.cellAt(2, 0).selected)
        keyClick(Qt.Key_Down)
        keyClick(Qt.Key_Down) // stays on the last row
        compare(view.selectedId, view.proxy.get(2, "serviceId"))
        keyClick(Qt.Key_Up)
        compare(view.selectedId, view.proxy.get(1, "serviceId"))
        // The selection follows the service when the rows are sorted the other way.
        const id = view.selectedId
        view.proxy.toggleSort("name")
        compare(view.selectedId, id)
        tryVerify(() => view.cellAt(0, view.proxy.rowOfService(id)).selected)
    }

    function test_servicesAreGrouped() {
        const view = createTemporaryObject(services, test)
        const groups = findChild(view, "serviceGroups")
        tryCompare(groups, "count", 2)
        const summaries = []
        for (let i = 0; i < groups.count; ++i)
            summaries.push(groups.model.data(groups.model.index(i, 0), ServiceGroupModel.SummaryRole))
        compare(summaries, ["postgres: 1 instance on core-02", "redis: 2 instances on core-01, core-02"])
        view.filterText = "no-such-service"
        compare(view.matchCount, 0)
        verify(findChild(view, "statusBanner").text.indexOf("matches “no-such-service”") >= 0)
        view.filterText = "core-02"
        compare(view.matchCount, 2)
        compare(findChild(view, "statusBanner").visible, false)
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
        tryVerify(() => keys.rows >= 2, 5000, "the tree shows the two host folders")
    }

    // Refresh (button, F5) lists the open folders again in place: new keys appear, deleted ones
    // go, the folder stays open, the model is never reset, and the selected key is read again.
    function test_treeRefreshKeepsFoldersAndSelection() {
        const root = "/portolan-treetest/"
        verify(testEtcd.removePrefix(root))
        verify(testEtcd.put(root + "a/one", "1"))
        verify(testEtcd.put(root + "b/two", '{"v":1}'))
        const view = createTemporaryObject(tree, test)
        view.live = false // only Refresh moves it here
        const keys = findChild(view, "keyTree")
        view.prefix = root
        view.model.rootPrefix = root
        tryCompare(view.model, "topLevelCount", 2)
        tryCompare(keys, "rows", 2)
        // Open b/ and select b/two.
        keys.expand(1)
        view.model.loadChildren(keys.modelIndex(Qt.point(0, 1)))
        tryCompare(keys, "rows", 3)
        view.model.selectKey(root + "b/two")
        const pane = findChild(view, "valuePane")
        tryVerify(() => pane.selected.found === true)
        compare(pane.selected.value, '{"v":1}')
        const resets = createTemporaryQmlObject(
            'import QtTest; SignalSpy { signalName: "modelReset" }', test)
        resets.target = view.model
        const readBefore = view.readAt

        verify(testEtcd.put(root + "b/three", "3"))
        verify(testEtcd.put(root + "b/two", '{"v":2}'))
        verify(testEtcd.put(root + "c/four", "4"))
        waitForItemPolished(view)
        mouseClick(findChild(view, "refreshButton"))
        tryCompare(keys, "rows", 5, 10000) // a/, b/, b/three, b/two, c/
        verify(keys.isExpanded(1), "b/ stays open")
        compare(keys.itemAtCell(Qt.point(0, 2)).key, root + "b/three")
        compare(keys.itemAtCell(Qt.point(0, 4)).key, root + "c/")
        tryVerify(() => pane.selected.value === '{"v":2}')
        tryCompare(view.model, "refreshing", false)
        verify(view.readAt >= readBefore)

        // F5: the selected key was deleted; the pane says so instead of showing the old value.
        verify(testEtcd.removePrefix(root + "b/two"))
        verify(testEtcd.removePrefix(root + "a/"))
        keyClick(Qt.Key_F5)
        tryCompare(keys, "rows", 3, 10000) // b/, b/three, c/
        verify(keys.isExpanded(0), "b/ stays open")
        tryVerify(() => pane.selected.found === false)
        verify(findChild(pane, "valueError").text.indexOf("no longer exists") >= 0)
        compare(findChild(pane, "valueText").visible, false)
        // The open folder itself goes: its rows go with it, still without a reset.
        verify(testEtcd.removePrefix(root + "b/"))
        mouseClick(findChild(view, "refreshButton"))
        tryCompare(keys, "rows", 1, 10000) // c/
        compare(keys.itemAtCell(Qt.point(0, 0)).key, root + "c/")
        compare(view.model.topLevelCount, 1)
        compare(resets.count, 0)
        verify(testEtcd.removePrefix(root))
    }

    // Live (on by default): changes show up without Refresh; off, they wait for one.
    function test_treeLiveRefresh() {
        const root = "/portolan-livetest/"
        verify(testEtcd.removePrefix(root))
        verify(testEtcd.put(root + "k1", "1"))
        const view = createTemporaryObject(tree, test)
        verify(view.live)
        view.useWatch = false // the timer, as with the feed
        view.liveInterval = 300
        view.prefix = root
        view.model.rootPrefix = root
        tryCompare(view.model, "topLevelCount", 1)
        verify(testEtcd.put(root + "k2", "2"))
        tryCompare(view.model, "topLevelCount", 2, 10000)
        view.live = false
        wait(500) // a refresh already under way may still land
        verify(testEtcd.put(root + "k3", "3"))
        wait(1500)
        compare(view.model.topLevelCount, 2)
        verify(testEtcd.removePrefix(root))
    }

    // On etcd, Live follows a watch: puts and deletes show up at once as row inserts and removes
    // in the open folders, with no refresh and no reset.
    function test_treeFollowsEtcdWatch() {
        const root = "/portolan-watchtest/"
        verify(testEtcd.removePrefix(root))
        verify(testEtcd.put(root + "a/one", "1"))
        verify(testEtcd.put(root + "b/two", "22"))
        const view = createTemporaryObject(tree, test)
        const keys = findChild(view, "keyTree")
        view.liveInterval = 3600000 // no timer refresh can help
        view.prefix = root
        view.model.rootPrefix = root
        tryCompare(keys, "rows", 2)
        tryCompare(view.model, "watching", true, 10000)
        keys.expand(1)
        view.model.loadChildren(keys.modelIndex(Qt.point(0, 1)))
        tryCompare(keys, "rows", 3) // a/, b/, b/two
        const resets = createTemporaryQmlObject(
            'import QtTest; SignalSpy { signalName: "modelReset" }', test)
        resets.target = view.model
        verify(testEtcd.put(root + "b/one", "1"))   // into the open folder, before b/two
        verify(testEtcd.put(root + "c/three", "3")) // a new top-level folder
        tryCompare(keys, "rows", 5, 10000)
        compare(keys.itemAtCell(Qt.point(0, 2)).key, root + "b/one")
        compare(keys.itemAtCell(Qt.point(0, 4)).key, root + "c/")
        verify(keys.isExpanded(1))
        view.model.selectKey(root + "b/two")
        const pane = findChild(view, "valuePane")
        tryVerify(() => pane.selected.value === "22")
        verify(testEtcd.put(root + "b/two", "4444"))
        tryCompare(keys.itemAtCell(Qt.point(0, 3)), "size", 4, 10000)
        tryVerify(() => pane.selected.value === "4444") // the selected key's value follows too
        verify(testEtcd.removePrefix(root + "b/")) // the open folder empties: it goes
        tryCompare(keys, "rows", 2, 10000) // a/, c/
        verify(testEtcd.removePrefix(root + "c/")) // a folder never opened: asked, then dropped
        tryCompare(keys, "rows", 1, 10000)
        compare(view.model.topLevelCount, 1)
        compare(resets.count, 0)
        // Live off: the watch stops and nothing moves.
        view.live = false
        tryCompare(view.model, "watching", false)
        verify(testEtcd.put(root + "d", "1"))
        wait(1000)
        compare(keys.rows, 1)
        verify(testEtcd.removePrefix(root))
    }

    // The card's "… ago" advances with the shared WallClock, not only when the host changes.
    function test_hostCardAgeTicks() {
        const card = createTemporaryObject(hostCard, test)
        const last = findChild(card, "hostCardLast")
        verify(/last: start, [4-6] s ago/.test(last.text), last.text)
        const first = last.text
        tryVerify(() => last.text !== first, 5000, "still " + last.text)
        verify(/last: start, [5-9] s ago/.test(last.text), last.text)
    }

    // A theme picked in the bar is saved (QSettings, a test file here) and is what the next
    // start uses, unless --theme names one.
    function test_themeChoiceIsRemembered() {
        const before = Theme.mode
        const view = createTemporaryObject(bar, test)
        const box = findChild(view, "themeBox")
        box.activated(box.model.indexOf("dark"))
        compare(Theme.mode, "dark")
        compare(Preferences.themeMode, "dark")
        compare(Preferences.startupTheme(""), "dark")
        compare(Preferences.startupTheme("light"), "light")
        box.activated(box.model.indexOf("light"))
        compare(Preferences.startupTheme(""), "light")
        box.activated(box.model.indexOf("system"))
        compare(Preferences.startupTheme(""), "system")
        Theme.mode = before
    }

    function test_bannerSaysWhyWhenNotConnected() {
        const view = createTemporaryObject(hostsNowhere, test)
        const banner = findChild(view, "statusBanner")
        verify(banner.text.indexOf("Not connected") >= 0)
        verify(banner.implicitHeight > 0)
        compare(findChild(view, "serviceTable").count, 0)
    }

    // Profiles live in QSettings (a test settings file here): a new connection object, as after
    // a restart, lists them and connects to the last one used.
    function test_profilesAreRemembered() {
        const first = createTemporaryObject(freshConnection, test)
        first.connectToEtcd(testConnection.target)
        first.removeProfile("qml-test")
        first.saveProfile("qml-test")
        const again = createTemporaryObject(freshConnection, test)
        const saved = again.profiles.filter(p => p.name === "qml-test")
        compare(saved.length, 1)
        compare(saved[0].mode, "etcd")
        compare(saved[0].target, testConnection.target)
        verify(again.connectLast())
        compare(again.mode, "etcd")
        compare(again.target, testConnection.target)
        tryCompare(again, "statusName", "ready", 10000)
        verify(again.connectProfile("qml-test"))
        again.removeProfile("qml-test")
        compare(again.profiles.filter(p => p.name === "qml-test").length, 0)
    }
}
