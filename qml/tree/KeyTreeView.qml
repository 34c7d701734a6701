pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// The etcd keyspace, listed lazily page by page, with a prefix search and a value pane.
Item {
    id: view
    required property ClusterConnection connection
    property alias model: keys
    property alias prefix: prefixField.text
    function focusSearch() { prefixField.forceActiveFocus(); prefixField.selectAll() }
    // The tree is read when asked (Refresh, F5): say when, so an old picture is not a mystery.
    readonly property date readAt: keys.readAt
    // Lists what is open again without collapsing it, and re-reads the selected key; a new
    // prefix in the field is listed from scratch.
    function refresh() {
        if (keys.rootPrefix === prefixField.text)
            keys.refresh()
        else
            keys.rootPrefix = prefixField.text
    }
    // Live: etcd's changes arrive through a watch (keys.watching). Without one (the feed, or
    // while a lost watch is set up again) the view refreshes on a timer while it is on screen;
    // a refresh changes only the rows that changed and costs one listing per open folder.
    property alias live: liveBox.checked
    property int liveInterval: 10000
    property bool useWatch: true // false: live means the timer even on etcd (tests)
    Timer {
        objectName: "liveTimer"
        interval: view.liveInterval
        repeat: true
        running: view.live && view.visible && !keys.watching && keys.source !== null
        onTriggered: if (!keys.refreshing && keys.rootPrefix === prefixField.text) keys.refresh()
    }
    Shortcut {
        // StandardKey is QtQuick's (it works), but the 6.4 qmllint does not resolve its enums.
        sequence: StandardKey.Refresh // qmllint disable unqualified
        enabled: view.visible
        onActivated: view.refresh()
    }
    // Reads the tree again and opens the directories down to `key`, then selects it.
    function revealKey(key) {
        reveal.target = key
        reveal.tries = 0
        keys.reload()
        keys.selectKey(key)
        reveal.restart()
    }
    Timer {
        id: reveal
        property string target: ""
        property int tries: 0
        interval: 150
        repeat: true
        onTriggered: {
            // Directories load page by page as they open: expand one level per tick.
            if (++tries > 40) { stop(); return }
            for (let r = 0; r < tree.rows; ++r) {
                const item = tree.itemAtCell(Qt.point(0, r))
                if (item && item.isDir && target.startsWith(item.key) && !tree.isExpanded(r)) {
                    keys.loadChildren(tree.modelIndex(Qt.point(0, r)))
                    tree.expand(r)
                    return
                }
                if (item && !item.isDir && item.key === target) { stop(); return }
            }
        }
    }

    KeyTreeModel {
        id: keys
        source: view.connection ? view.connection.keySource : null
        rootPrefix: "/"
        watchEnabled: view.live && view.useWatch
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 8
        StatusBanner {
            Layout.fillWidth: true
            status: view.connection.keySource ? keys.statusName : "disconnected"
            errorString: view.connection.keySource ? keys.errorString
                                                   : qsTr("Not connected: there is no etcd or feed to read keys from.")
        }
        RowLayout {
            Label { textFormat: Text.PlainText; text: qsTr("Prefix"); color: Theme.subtext }
            SearchField {
                id: prefixField
                objectName: "prefixField"
                text: "/"
                placeholderText: qsTr("/portolan/services/ (Enter to list)")
                Layout.fillWidth: true
                onAccepted: keys.rootPrefix = text
            }
            Label {
                textFormat: Text.PlainText
                objectName: "treeReadAt"
                text: keys.watching ? qsTr("live (watching etcd)")
                      : keys.refreshing ? qsTr("refreshing…")
                      : isNaN(view.readAt.getTime()) ? ""
                      : qsTr("read at %1").arg(Qt.formatTime(view.readAt, "hh:mm:ss"))
                color: Theme.subtext
                font.pixelSize: 12
            }
            CheckBox {
                id: liveBox
                objectName: "liveBox"
                text: qsTr("Live")
                checked: true
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Follow changes as they happen (etcd), or refresh every %1 s while this view is shown (feed)")
                              .arg(view.liveInterval / 1000)
            }
            Button {
                objectName: "refreshButton"
                text: qsTr("Refresh")
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Read the open folders and the selected key again (F5)")
                onClicked: view.refresh()
            }
        }
        SplitView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Rectangle {
                SplitView.preferredWidth: view.width * 0.42
                color: Theme.surface
                border.color: Theme.border
                radius: Theme.radius
                TreeView {
                    id: tree
                    objectName: "keyTree"
                    anchors.fill: parent
                    anchors.margins: 4
                    clip: true
                    model: keys
                    ScrollBar.vertical: ScrollBar {}
                    delegate: Item {
                        id: node
                        required property TreeView treeView
                        required property bool isTreeNode
                        required property bool expanded
                        required property bool hasChildren
                        required property int depth
                        required property int row
                        required property int column
                        required property string name
                        required property string key
                        required property bool isDir
                        required property bool isMore
                        required property var size
                        // `selected` is a QVariantMap, a plain JS object here; the 6.4 qmllint
                        // looks its keys up as properties of the C++ type and finds none.
                        readonly property bool current: keys.selected.key === key && !isDir && !isMore // qmllint disable type
                        implicitWidth: Math.max(240, tree.width)
                        implicitHeight: 26
                        Rectangle { anchors.fill: parent; color: node.current ? Theme.selection : "transparent" }
                        Label {
                            textFormat: Text.PlainText
                            id: arrow
                            x: node.depth * 16 + 4
                            anchors.verticalCenter: parent.verticalCenter
                            text: node.isDir ? (node.expanded ? "▾" : "▸") : ""
                            color: Theme.subtext
                            width: 14
                        }
                        Label {
                            textFormat: Text.PlainText
                            anchors.left: arrow.right
                            anchors.leftMargin: 4
                            anchors.right: sizeLabel.left
                            anchors.verticalCenter: parent.verticalCenter
                            text: node.isMore ? qsTr("more…") : node.name + (node.isDir ? "/" : "")
                            color: node.isMore ? Theme.accent : Theme.text
                            font.family: Theme.monoFont
                            font.pixelSize: 13
                            elide: Text.ElideMiddle
                        }
                        Label {
                            textFormat: Text.PlainText
                            id: sizeLabel
                            anchors.right: parent.right
                            anchors.rightMargin: 8
                            anchors.verticalCenter: parent.verticalCenter
                            text: !node.isDir && !node.isMore && node.size >= 0 ? node.size + " B" : ""
                            color: Theme.subtext
                            font.pixelSize: 11
                        }
                        TapHandler {
                            onTapped: {
                                const index = tree.modelIndex(Qt.point(node.column, node.row))
                                if (node.isDir) {
                                    keys.loadChildren(index)
                                    tree.toggleExpanded(node.row)
                                } else {
                                    keys.activate(index)
                                }
                            }
                        }
                    }
                }
                Placeholder {
                    hint: keys.topLevelCount === 0 && keys.statusName === "ready"
                          ? qsTr("No keys under %1.").arg(keys.rootPrefix) : ""
                }
            }
            ValuePane {
                SplitView.fillWidth: true
                selected: keys.selected
            }
        }
    }
}
