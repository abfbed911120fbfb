package web

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Lang is a language of the dashboard.
type Lang string

// The dashboard's languages.
const (
	// En is English.
	En Lang = "en"
	// Zh is Simplified Chinese (zh-CN).
	Zh Lang = "zh"
)

// Langs lists the languages in the order the language switch shows them.
var Langs = []Lang{Zh, En}

// LangCookie is the cookie that remembers the chosen language.
const LangCookie = "tw_lang"

// HTML is the language's tag for the lang attribute and Content-Language.
func (l Lang) HTML() string {
	if l == Zh {
		return "zh-CN"
	}
	return "en"
}

// Name is the language's name in itself, for the language switch.
func (l Lang) Name() string {
	if l == Zh {
		return "中文"
	}
	return "English"
}

// ParseLang reads a language code ("zh", "zh-CN", "en", "en-GB", any
// case); ok is false for anything else, which reads as English.
func ParseLang(s string) (l Lang, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "zh" || strings.HasPrefix(s, "zh-") || strings.HasPrefix(s, "zh_"):
		return Zh, true
	case s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_"):
		return En, true
	}
	return En, false
}

// Negotiate picks the language of a request: the tw_lang cookie, else the
// first language of Accept-Language (by q) that the dashboard has, else
// English.
func Negotiate(r *http.Request) Lang {
	if c, err := r.Cookie(LangCookie); err == nil {
		if l, ok := ParseLang(c.Value); ok {
			return l
		}
	}
	type pref struct {
		lang Lang
		q    float64
		pos  int
	}
	var prefs []pref
	for i, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		l, ok := ParseLang(tag)
		if !ok {
			continue
		}
		q := 1.0
		if v, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > 0 {
			prefs = append(prefs, pref{l, q, i})
		}
	}
	if len(prefs) == 0 {
		return En
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	return prefs[0].lang
}

// msg is one message in both languages.
type msg struct{ en, zh string }

// catalog returns the messages of a language by key.
func catalog(l Lang) map[string]string {
	if l == Zh {
		return zhMessages
	}
	return enMessages
}

var enMessages, zhMessages = split(messages)

func split(ms map[string]msg) (en, zh map[string]string) {
	en, zh = make(map[string]string, len(ms)), make(map[string]string, len(ms))
	for k, m := range ms {
		en[k], zh[k] = m.en, m.zh
	}
	return en, zh
}

// i18nAssetName is the script that gives the pages' scripts the catalog of
// a language (a static asset, so no inline script is needed).
func i18nAssetName(l Lang) string { return "i18n/" + string(l) + ".js" }

// i18nScript is the content of that script: window.TW_I18N with the
// language, its messages and how to recognise the API's own error messages.
func i18nScript(l Lang) []byte {
	type prefix struct {
		Prefix string `json:"prefix"`
		Key    string `json:"key"`
	}
	ps := make([]prefix, len(apiErrorPrefixes))
	for i, p := range apiErrorPrefixes {
		ps[i] = prefix{p[0], p[1]}
	}
	b, err := json.Marshal(map[string]any{"lang": l, "messages": catalog(l), "apiErrors": apiErrors, "apiErrorPrefixes": ps})
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return []byte("// The dashboard's messages in " + l.Name() + ", generated from internal/web/i18n.go.\nwindow.TW_I18N = " + string(b) + ";\n")
}

// apiErrors maps error messages of the API (its "error" field) to catalog
// keys, so they are shown in the user's language; any other message is
// shown as the API wrote it.
var apiErrors = map[string]string{
	"e-mail or password is wrong":                           "apierr.invalid_login",
	"the account is disabled":                               "apierr.disabled",
	"too many failed sign-ins; try again later":             "apierr.locked",
	"email and password are required":                       "login.missing",
	"an owner exists already; sign in instead":              "apierr.owner_exists",
	"email: a user with that e-mail address already exists": "apierr.email_taken",
	"a user with that e-mail address already exists":        "apierr.email_taken",
	"email: is not an e-mail address":                       "apierr.email_invalid",
	"email: is required":                                    "apierr.email_required",
	"password: must be at least 10 characters":              "apierr.password_short",
	"password: must not be the e-mail address":              "apierr.password_email",
	"the last owner can be neither demoted nor disabled":    "apierr.last_owner",
	"forbidden": "apierr.owner_only",
	"not found": "err.not_found",
	"missing or wrong CSRF token (X-CSRF-Token header or csrf_token field)":             "apierr.csrf",
	"authentication required: sign in, or send Authorization: Bearer <token>":           "err.signed_out",
	"invalid, expired or revoked credentials":                                           "err.signed_out",
	"could not check credentials; try again":                                            "apierr.try_again",
	"no profile has that identifier (search is an exact match on the normalised value)": "customers.not_found",
	"profile not found":                                                   "customer.not_found",
	"segment not found":                                                   "apierr.segment_not_found",
	"a segment with that id already exists":                               "apierr.segment_exists",
	"give rule (JSON) or rule_text":                                       "segments.need_rule",
	"query took longer than 60s":                                          "apierr.query_timeout",
	"an unmasked export needs the permission pii.read":                    "apierr.needs_pii",
	"the requester cannot approve their own export: a second person must": "apierr.self_approval",
	"the export waits for a second person's approval":                     "apierr.awaiting_approval",
	"the request is not waiting for approval":                             "apierr.not_awaiting",
	"privacy request not found":                                           "apierr.request_not_found",
	"no person with that identifier is known; give user_id with source, or anonymous_id with source": "apierr.no_person",
	"the admin token belongs to no user; sign in as a user to create API tokens":                     "apierr.admin_no_tokens",
	"name: must be 1–100 characters":                                                         "apierr.token_name",
	"scopes: must name at least one permission":                                              "settings.need_scope",
	"expires_at: must be in the future":                                                      "apierr.expiry_past",
	"source is required with user_id (user ids are per source)":                              "err.identifier_source",
	"email is not an e-mail address":                                                         "apierr.email_invalid",
	"phone is not a phone number (international format, or give region)":                     "apierr.phone_invalid",
	"identifier.email: is not an email address":                                              "apierr.email_invalid",
	"identifier.phone: is not a phone number (give it in international format, or a region)": "apierr.phone_invalid",
}

// apiErrorPrefixes maps the start of an API error message to a key whose
// {rest} is the remainder (a permission, a number of seconds).
var apiErrorPrefixes = [][2]string{
	{"your role does not allow this: it needs the permission ", "apierr.needs_permission"},
	{"this needs the permission ", "apierr.needs_permission"},
	{"too many requests; retry after ", "apierr.rate_retry"},
	{"not enough customers with orders to cluster: ", "segments.clusters_empty"},
}

// messages is the catalog: every string of the dashboard, in English and
// in Chinese. Keys are namespaced by page; {name} marks a placeholder.
var messages = map[string]msg{
	// layout
	"layout.skip":     {"Skip to content", "跳到正文"},
	"layout.menu":     {"Menu", "菜单"},
	"layout.nav":      {"Main navigation", "主导航"},
	"layout.language": {"Language", "语言"},
	"layout.account":  {"Account", "账户"},
	"layout.role":     {"Role", "角色"},
	"layout.sign_out": {"Sign out", "退出登录"},
	"nav.overview":    {"Overview", "概览"},
	"nav.customers":   {"Customers", "客户"},
	"nav.segments":    {"Segments", "客群"},
	"nav.sources":     {"Sources and quality", "数据来源与质量"},
	"nav.privacy":     {"Privacy", "隐私"},
	"nav.audit":       {"Audit", "审计"},
	"nav.settings":    {"Settings", "设置"},

	// common
	"common.loading":    {"Loading…", "加载中…"},
	"common.empty":      {"Nothing here yet.", "暂无数据。"},
	"common.none":       {"(none)", "（无）"},
	"common.more":       {"Load more", "加载更多"},
	"common.refresh":    {"Refresh", "刷新"},
	"common.first_page": {"First page", "第一页"},
	"common.next_page":  {"Next page", "下一页"},
	"common.copy":       {"Copy", "复制"},
	"common.copied":     {"Copied", "已复制"},

	// errors shown by the pages
	"err.network":           {"Could not reach the server. Check the connection and try again.", "无法连接服务器，请检查网络后重试。"},
	"err.signed_out":        {"Your session has ended. Please sign in again.", "登录已失效，请重新登录。"},
	"err.forbidden_plain":   {"Your role does not allow this.", "你的角色无权执行此操作。"},
	"err.not_found":         {"Not found.", "未找到。"},
	"err.rate_limited":      {"Too many requests. Wait a moment and try again.", "请求过于频繁，请稍后再试。"},
	"err.server":            {"The server had a problem (HTTP {status}). Try again; if it persists, check the server log.", "服务器出错（HTTP {status}）。请重试；若持续出现，请查看服务器日志。"},
	"err.status":            {"The request failed (HTTP {status}).", "请求失败（HTTP {status}）。"},
	"err.unknown":           {"Something went wrong.", "出错了。"},
	"err.identifier_value":  {"Enter the identifier to look for.", "请输入要查找的标识。"},
	"err.identifier_source": {"A user ID needs its source: user IDs are per source.", "用户 ID 需要同时填写来源：用户 ID 按来源区分。"},
	"err.identifier_kind":   {"Choose the kind of identifier.", "请选择标识类型。"},

	// errors of the API, in the user's language
	"apierr.invalid_login":     {"E-mail or password is wrong.", "邮箱或密码错误。"},
	"apierr.disabled":          {"This account is disabled. Ask an administrator.", "该账户已停用，请联系管理员。"},
	"apierr.locked":            {"Too many failed sign-ins. Wait a minute and try again.", "登录失败次数过多，请稍等一分钟后再试。"},
	"apierr.owner_exists":      {"An owner account exists already. Sign in instead.", "所有者账户已存在，请直接登录。"},
	"apierr.email_taken":       {"A user with this e-mail address exists already.", "该邮箱已被其他用户使用。"},
	"apierr.email_invalid":     {"That is not a valid e-mail address.", "邮箱地址无效。"},
	"apierr.phone_invalid":     {"That is not a phone number: give it in international format (+49…), or pick the source whose country it is in.", "手机号无效：请使用国际格式（如 +86…），或选择其所属国家对应的来源。"},
	"apierr.email_required":    {"Enter an e-mail address.", "请输入邮箱地址。"},
	"apierr.password_short":    {"The password must have at least 10 characters.", "密码至少需要 10 个字符。"},
	"apierr.password_email":    {"The password must not be the e-mail address.", "密码不能与邮箱相同。"},
	"apierr.last_owner":        {"The last owner can be neither demoted nor disabled.", "最后一位所有者不能被降级或停用。"},
	"apierr.owner_only":        {"Only an owner may change an owner, or make someone an owner.", "只有所有者才能修改所有者或任命新的所有者。"},
	"apierr.csrf":              {"The page is out of date. Reload it and try again.", "页面已过期，请刷新后重试。"},
	"apierr.try_again":         {"Could not check your sign-in. Try again.", "无法验证登录状态，请重试。"},
	"apierr.segment_not_found": {"That segment does not exist (any more).", "该客群不存在（或已删除）。"},
	"apierr.segment_exists":    {"A segment with that ID exists already.", "已存在相同 ID 的客群。"},
	"apierr.query_timeout":     {"The query took longer than 60 seconds.", "查询超过 60 秒未完成。"},
	"apierr.needs_pii":         {"An unmasked export needs the permission pii.read.", "下载未脱敏的导出需要 pii.read 权限。"},
	"apierr.self_approval":     {"You cannot approve your own export: a second person must.", "不能批准自己发起的导出，需要另一位同事批准。"},
	"apierr.awaiting_approval": {"The export waits for a second person's approval.", "该导出正在等待另一位同事批准。"},
	"apierr.not_awaiting":      {"The request is not waiting for approval.", "该请求无需批准。"},
	"apierr.request_not_found": {"That privacy request does not exist.", "该隐私请求不存在。"},
	"apierr.no_person":         {"No person with that identifier is known.", "没有找到具有该标识的人。"},
	"apierr.admin_no_tokens":   {"The admin token belongs to no user; sign in as a user to create API tokens.", "管理员令牌不属于任何用户，请以用户身份登录后创建 API 令牌。"},
	"apierr.token_name":        {"Give the token a name of 1–100 characters.", "令牌名称需为 1–100 个字符。"},
	"apierr.expiry_past":       {"The expiry must be in the future.", "过期时间必须晚于现在。"},
	"apierr.needs_permission":  {"Your role does not allow this (it needs the permission {rest}).", "你的角色无权执行此操作（需要权限 {rest}）。"},
	"apierr.rate_retry":        {"Too many requests. Try again in {rest}.", "请求过于频繁，请在 {rest} 后重试。"},

	// sign-in and first run
	"login.title":         {"Sign in", "登录"},
	"login.heading":       {"Sign in to tradewind", "登录 tradewind"},
	"login.intro":         {"Your growth data across every marketplace, in one place.", "所有销售平台的增长数据，一处查看。"},
	"login.email":         {"E-mail", "邮箱"},
	"login.password":      {"Password", "密码"},
	"login.submit":        {"Sign in", "登录"},
	"login.missing":       {"Enter your e-mail and password.", "请输入邮箱和密码。"},
	"login.first_run":     {"First start, and no account yet?", "首次启动，还没有账户？"},
	"login.setup_link":    {"Create the owner account", "创建所有者账户"},
	"setup.title":         {"Create the owner account", "创建所有者账户"},
	"setup.heading":       {"Welcome to tradewind", "欢迎使用 tradewind"},
	"setup.intro":         {"Create the first account. It is the owner: it can do everything, including adding your colleagues.", "创建第一个账户。它是所有者，拥有全部权限，包括添加同事。"},
	"setup.name":          {"Name", "姓名"},
	"setup.password_hint": {"At least 10 characters, not your e-mail address.", "至少 10 个字符，且不能与邮箱相同。"},
	"setup.submit":        {"Create and sign in", "创建并登录"},
	"setup.have_account":  {"I have an account: sign in", "已有账户：去登录"},
	"setup.go_login":      {"Go to sign-in", "前往登录"},
	"forbidden.title":     {"Not available for your role", "你的角色无权访问"},
	"forbidden.text":      {"Your role does not allow this page. An administrator can change your role in Settings.", "你的角色无权访问此页面。管理员可以在“设置”中修改你的角色。"},
	"forbidden.back":      {"Back to the overview", "返回概览"},

	// roles
	"role.owner":    {"Owner", "所有者"},
	"role.admin":    {"Administrator", "管理员"},
	"role.analyst":  {"Analyst", "分析师"},
	"role.marketer": {"Marketer", "营销人员"},
	"role.viewer":   {"Viewer", "只读用户"},

	// permissions (token scopes)
	"perm.dashboard.read":  {"Open the dashboard and its reports", "查看仪表盘和报表"},
	"perm.query.sql":       {"Run read-only SQL", "运行只读 SQL 查询"},
	"perm.pii.read":        {"See decrypted personal data", "查看解密后的个人数据"},
	"perm.customers.read":  {"Read customer profiles", "查看客户档案"},
	"perm.segments.write":  {"Create, change and delete segments", "创建、修改和删除客群"},
	"perm.identity.write":  {"Undo merges of profiles", "撤销档案合并"},
	"perm.models.run":      {"Run the prediction models now", "立即运行预测模型"},
	"perm.actions.write":   {"Configure actions", "配置自动化动作"},
	"perm.sources.read":    {"List sources", "查看数据来源"},
	"perm.sources.write":   {"Create and change sources and keys", "创建和修改数据来源及密钥"},
	"perm.imports.write":   {"Import files", "导入文件"},
	"perm.fx.write":        {"Load exchange rates", "导入汇率"},
	"perm.backup.run":      {"Take backups", "执行备份"},
	"perm.users.read":      {"List users and roles", "查看用户和角色"},
	"perm.users.write":     {"Manage users and roles", "管理用户和角色"},
	"perm.tokens.write":    {"Create and revoke own API tokens", "创建和撤销自己的 API 令牌"},
	"perm.privacy.export":  {"Export a person's data", "导出个人数据"},
	"perm.privacy.erase":   {"Erase a person", "删除个人数据"},
	"perm.privacy.approve": {"Approve another user's export", "批准他人的数据导出"},
	"perm.consent.read":    {"Read consent records", "查看同意记录"},
	"perm.consent.write":   {"Record consent changes", "记录同意变更"},
	"perm.audit.read":      {"Read the audit log", "查看审计日志"},
	"perm.config.write":    {"Change server configuration", "修改服务器配置"},
	"perm.retention.write": {"Change data retention", "修改数据保留策略"},
	"perm.metrics.read":    {"Scrape metrics", "抓取监控指标"},
	"perm.debug.pprof":     {"Read runtime profiles", "读取运行时性能剖析"},

	// marketplaces
	"mp.amazon_us":      {"Amazon US", "亚马逊美国站"},
	"mp.amazon_ca":      {"Amazon CA", "亚马逊加拿大站"},
	"mp.amazon_mx":      {"Amazon MX", "亚马逊墨西哥站"},
	"mp.amazon_uk":      {"Amazon UK", "亚马逊英国站"},
	"mp.amazon_de":      {"Amazon DE", "亚马逊德国站"},
	"mp.amazon_fr":      {"Amazon FR", "亚马逊法国站"},
	"mp.amazon_it":      {"Amazon IT", "亚马逊意大利站"},
	"mp.amazon_es":      {"Amazon ES", "亚马逊西班牙站"},
	"mp.amazon_jp":      {"Amazon JP", "亚马逊日本站"},
	"mp.amazon_au":      {"Amazon AU", "亚马逊澳大利亚站"},
	"mp.shopify_eu":     {"Shopify EU", "Shopify 欧洲店"},
	"mp.tiktok_shop_uk": {"TikTok Shop UK", "TikTok Shop 英国"},
	"mp.tiktok_shop_us": {"TikTok Shop US", "TikTok Shop 美国"},
	"mp.ebay_us":        {"eBay US", "eBay 美国"},

	// overview
	"overview.title":            {"Overview", "概览"},
	"overview.period":           {"Period", "时间范围"},
	"overview.days_30":          {"30 days", "近 30 天"},
	"overview.days_90":          {"90 days", "近 90 天"},
	"overview.days_365":         {"365 days", "近 365 天"},
	"overview.kpis":             {"Key figures", "核心指标"},
	"overview.revenue":          {"Net revenue {currency}", "净收入 {currency}"},
	"overview.orders":           {"Orders", "订单数"},
	"overview.customers":        {"Customers", "客户数"},
	"overview.repeat_rate":      {"Repeat rate", "复购率"},
	"overview.aov":              {"Average order value", "客单价"},
	"overview.vs_previous":      {"vs the {days} days before", "较前 {days} 天"},
	"overview.no_previous":      {"no earlier period to compare", "无可比较的前期数据"},
	"overview.points":           {"pts", "个百分点"},
	"overview.revenue_trend":    {"Net revenue by marketplace", "各平台净收入趋势"},
	"overview.orders_trend":     {"Orders and average order value", "订单数与客单价趋势"},
	"overview.by_marketplace":   {"By marketplace", "按销售平台"},
	"overview.definitions":      {"Net revenue is after refunds, in the base currency at each order's ECB rate; cancelled orders are left out. Repeat rate: customers with two or more orders in the period. Average order value: net revenue per order with a known exchange rate.", "净收入已扣除退款，按每笔订单当日的欧洲央行汇率换算为本位币；不含已取消订单。复购率：期间内下单两次及以上的客户占比。客单价：有汇率的订单的平均净收入。"},
	"overview.marketplace":      {"Marketplace", "销售平台"},
	"overview.all_marketplaces": {"All marketplaces", "全部平台"},
	"overview.share":            {"Share", "占比"},
	"overview.change":           {"Change", "环比"},
	"overview.table_caption":    {"Last {days} days, compared with the {days} days before", "近 {days} 天，与之前 {days} 天对比"},
	"overview.empty":            {"No orders in this period.", "该时间段内没有订单。"},
	"overview.no_orders":        {"No orders yet. Connect a source or import orders (Settings → Sources, or tradewind import).", "还没有订单。请连接数据来源或导入订单（设置 → 数据来源，或使用 tradewind import）。"},
	"overview.no_orders_since":  {"No orders in this period: the newest order is from {date}. Choose a longer period, or check that your sources still send data.", "该时间段内没有订单：最新订单日期为 {date}。请选择更长的时间范围，或检查数据来源是否仍在发送数据。"},
	"overview.no_sql":           {"Revenue, orders and trends come from the SQL API, which your role cannot use (it needs query.sql). Ask an administrator for the analyst role to see them; here are your customers by RFM segment.", "收入、订单和趋势数据来自 SQL 接口，你的角色无权使用（需要 query.sql 权限）。如需查看，请联系管理员授予分析师角色。以下是按 RFM 分层的客户分布。"},
	"overview.rfm_title":        {"Customers by RFM segment", "RFM 客户分层"},
	"overview.rfm_hint":         {"Customers who ordered in the last 365 days, by how recently, how often and how much they bought.", "近 365 天内下过单的客户，按最近购买时间、购买频次和消费金额分层。"},

	// customers
	"customers.title":        {"Customers", "客户"},
	"customers.search_label": {"Find a customer", "查找客户"},
	"customers.search":       {"Find", "查找"},
	"customers.exact_hint":   {"Search is an exact match: e-mail addresses and phone numbers are stored encrypted and found only by their full, normalised value.", "搜索为精确匹配：邮箱和手机号均加密存储，只能通过完整的标准化值查找。"},
	"customers.not_found":    {"No customer has that identifier. Search is an exact match: check the spelling, or try another identifier.", "没有客户具有该标识。搜索为精确匹配，请检查拼写或换一个标识。"},
	"customers.top":          {"Top customers", "高价值客户"},
	"customers.top_hint":     {"The 25 customers with the highest net revenue.", "净收入最高的 25 位客户。"},
	"customers.top_empty":    {"No customer has ordered yet.", "还没有客户下单。"},
	"customers.browse_hint":  {"To browse customers, open a segment's members:", "如需浏览客户，请打开客群的成员列表："},
	"id.kind":                {"Identifier", "标识类型"},
	"id.email":               {"E-mail", "邮箱"},
	"id.phone":               {"Phone", "手机号"},
	"id.user_id":             {"User ID", "用户 ID"},
	"id.anonymous_id":        {"Anonymous ID", "匿名 ID"},
	"id.value":               {"Value", "值"},
	"id.source":              {"Source", "来源"},
	"id.source_hint":         {"Source ID; for a phone, its country is the default region.", "来源 ID；对手机号而言，来源所在国家为默认区号。"},

	// customer 360
	"customer.title":             {"Customer", "客户"},
	"customer.back":              {"← All customers", "← 返回客户"},
	"customer.summary":           {"Summary", "摘要"},
	"customer.profile":           {"Profile", "档案"},
	"customer.not_found":         {"This customer does not exist (any more). They may have been erased.", "该客户不存在（或已不存在），可能已被删除。"},
	"customer.merged_note":       {"{requested} was merged into {id}; this is the merged profile.", "{requested} 已合并到 {id}，当前显示的是合并后的档案。"},
	"customer.masked":            {"masked", "已脱敏"},
	"customer.masked_hint":       {"Personal data is masked for your role (it needs pii.read to see it).", "你的角色看到的是脱敏后的个人数据（需要 pii.read 权限才能查看原文）。"},
	"customer.has_deviations":    {"{n} unusual", "{n} 项异常"},
	"customer.orders":            {"Orders", "订单数"},
	"customer.refunded_orders":   {"{n} refunded", "{n} 单退款"},
	"customer.net_revenue":       {"Net revenue", "净收入"},
	"customer.gross":             {"gross {v}", "总额 {v}"},
	"customer.aov":               {"Average order", "客单价"},
	"customer.last_order":        {"Last order", "最近下单"},
	"customer.days_ago":          {"{n} days ago", "{n} 天前"},
	"customer.first_order":       {"First order", "首次下单"},
	"customer.first_seen":        {"first seen {d}", "首次出现 {d}"},
	"customer.interval":          {"Usual reorder gap", "常规复购间隔"},
	"customer.days":              {"{n} days", "{n} 天"},
	"customer.marketplaces":      {"Marketplaces", "销售平台"},
	"customer.country":           {"Country", "国家"},
	"customer.country_language":  {"Country · language", "国家 · 语言"},
	"customer.reviews":           {"Reviews", "评价数"},
	"customer.rating":            {"average {r} ★", "平均 {r} ★"},
	"customer.identities":        {"Identities", "身份标识"},
	"customer.identities_hint":   {"E-mails and phones are kept as keyed fingerprints (blind indexes), never as the address.", "邮箱和手机号仅以加密指纹（盲索引）保存，不保存原文。"},
	"customer.id_kind":           {"Kind", "类型"},
	"customer.id_ns":             {"Source", "来源"},
	"customer.id_value":          {"Value", "值"},
	"customer.no_identities":     {"No identities.", "没有身份标识。"},
	"customer.traits":            {"Traits", "属性"},
	"customer.trait":             {"Trait", "属性"},
	"customer.value":             {"Value", "值"},
	"customer.no_traits":         {"No traits yet.", "暂无属性。"},
	"customer.computed":          {"Computed traits", "计算属性"},
	"customer.segments":          {"Segments", "所属客群"},
	"customer.segment":           {"Segment", "客群"},
	"customer.since":             {"Member since", "加入时间"},
	"customer.no_segments":       {"In no segment.", "不属于任何客群。"},
	"customer.deviations":        {"Unusual behaviour", "异常行为"},
	"customer.deviations_hint":   {"Orders, baskets or returns more than two standard deviations from this customer's own history.", "订单间隔、客单或退货偏离该客户自身历史两个标准差以上。"},
	"customer.no_deviations":     {"Nothing unusual.", "没有异常。"},
	"customer.metric":            {"Measure", "指标"},
	"customer.observed":          {"Observed", "观测值"},
	"customer.usual":             {"Usual", "常规值"},
	"customer.when":              {"When", "时间"},
	"customer.consent":           {"Consent", "同意记录"},
	"customer.consent_no_user":   {"This profile has no user ID; consent is kept per user ID.", "该档案没有用户 ID；同意记录按用户 ID 保存。"},
	"customer.consent_for":       {"For user ID {id} of {source}.", "用户 ID {id}（来源 {source}）。"},
	"customer.timeline":          {"Timeline", "行为时间线"},
	"customer.no_events":         {"No events yet.", "暂无事件。"},
	"customer.type":              {"Type", "类型"},
	"customer.event":             {"Event", "事件"},
	"customer.details":           {"Details", "详情"},
	"customer.properties":        {"Properties", "属性"},
	"customer.source":            {"Source", "来源"},
	"idkind.user":                {"User ID", "用户 ID"},
	"idkind.anon":                {"Anonymous ID", "匿名 ID"},
	"idkind.email":               {"E-mail (fingerprint)", "邮箱（指纹）"},
	"idkind.phone":               {"Phone (fingerprint)", "手机号（指纹）"},
	"idkind.amazon_buyer":        {"Amazon buyer", "亚马逊买家"},
	"idkind.shopify_customer":    {"Shopify customer", "Shopify 客户"},
	"idkind.tiktok_user":         {"TikTok user", "TikTok 用户"},
	"idkind.ebay_user":           {"eBay user", "eBay 用户"},
	"state.live":                 {"active", "正常"},
	"state.shared":               {"shared identifier", "共用标识"},
	"metric.order_interval_days": {"Days between orders", "下单间隔（天）"},
	"metric.basket_value_base":   {"Order value", "订单金额"},
	"metric.basket_items":        {"Items per order", "每单件数"},
	"metric.return_rate":         {"Returned share", "退货比例"},

	// consent
	"consent.none":               {"No consent recorded.", "没有同意记录。"},
	"consent.granted":            {"granted", "已同意"},
	"consent.denied":             {"denied", "已拒绝"},
	"consent.history":            {"History", "历史记录"},
	"consent.when":               {"When", "时间"},
	"consent.purpose":            {"Purpose", "用途"},
	"consent.decision":           {"Decision", "决定"},
	"consent.basis":              {"Lawful basis", "合法依据"},
	"consent.origin":             {"Origin", "来源方式"},
	"consent.proof":              {"Proof", "凭证"},
	"consent.source":             {"Source", "来源"},
	"purpose.analytics":          {"Analytics", "数据分析"},
	"purpose.personalisation":    {"Personalisation", "个性化"},
	"purpose.email":              {"E-mail", "邮件营销"},
	"purpose.sms":                {"SMS", "短信营销"},
	"purpose.advertising":        {"Advertising", "广告"},
	"basis.consent":              {"Consent", "同意"},
	"basis.contract":             {"Contract", "合同"},
	"basis.legitimate_interests": {"Legitimate interests", "正当利益"},
	"basis.legal_obligation":     {"Legal obligation", "法定义务"},
	"basis.vital_interests":      {"Vital interests", "重大利益"},
	"basis.public_task":          {"Public task", "公共职责"},
	"origin.api":                 {"recorded", "手动记录"},
	"origin.event":               {"from an event", "来自事件"},

	// segments
	"segments.title":                        {"Segments", "客群"},
	"segments.list":                         {"Your segments", "我的客群"},
	"segments.none":                         {"No segments yet. Write a rule on the right and save it.", "还没有客群。请在右侧编写规则并保存。"},
	"segments.members":                      {"Members", "成员数"},
	"segments.n_members":                    {"{n} members", "{n} 人"},
	"segments.one_member":                   {"{n} member", "{n} 人"},
	"segments.show_members":                 {"Members", "成员"},
	"segments.edit":                         {"Edit", "编辑"},
	"segments.view_rule":                    {"Open in editor", "在编辑器中打开"},
	"segments.delete":                       {"Delete", "删除"},
	"segments.confirm_delete":               {"Delete the segment “{name}”? Its members stay; only the segment goes.", "确定删除客群“{name}”吗？只删除客群，不影响客户。"},
	"segments.editor_new":                   {"New segment", "新建客群"},
	"segments.editor_edit":                  {"Edit", "编辑"},
	"segments.name":                         {"Name", "名称"},
	"segments.description":                  {"Description (optional)", "描述（可选）"},
	"segments.rule":                         {"Rule", "规则"},
	"segments.rule_hint":                    {"The count updates as you type.", "输入时人数实时更新。"},
	"segments.counting":                     {"Counting…", "计算中…"},
	"segments.count":                        {"{n} customers match now", "当前匹配 {n} 位客户"},
	"segments.save":                         {"Save segment", "保存客群"},
	"segments.new":                          {"New", "新建"},
	"segments.readonly":                     {"Your role can preview rules but not save segments (it needs segments.write).", "你的角色可以预览规则，但不能保存客群（需要 segments.write 权限）。"},
	"segments.saved":                        {"Saved “{name}”. Its members are being filled.", "已保存“{name}”，正在计算成员。"},
	"segments.need_name":                    {"Give the segment a name.", "请填写客群名称。"},
	"segments.need_rule":                    {"Write a rule.", "请填写规则。"},
	"segments.examples":                     {"Examples and attributes", "示例和可用属性"},
	"segments.ex_repeat":                    {"Repeat buyers", "复购客户"},
	"segments.ex_at_risk":                   {"At risk", "流失风险客户"},
	"segments.ex_high_value":                {"Amazon DE high value", "亚马逊德国站高价值客户"},
	"segments.ex_country":                   {"Germany, quiet for a month", "德国近一个月未下单客户"},
	"segments.ex_one_time":                  {"One-time buyers", "仅下单一次的客户"},
	"segments.attributes":                   {"Attributes:", "可用属性："},
	"segments.members_of":                   {"Members", "成员"},
	"segments.export_csv":                   {"Export CSV", "导出 CSV"},
	"segments.member_since":                 {"Member since", "加入时间"},
	"segments.no_members":                   {"No members right now.", "当前没有成员。"},
	"segments.rfm":                          {"RFM grid", "RFM 矩阵"},
	"segments.rfm_hint":                     {"Customers who ordered in the last 365 days, scored 1–5 on recency (R) and frequency (F); each cell belongs to one of the eleven named segments.", "近 365 天内下过单的客户，按最近购买（R）和购买频次（F）分别打 1–5 分；每个格子属于十一个命名分层之一。"},
	"segments.rfm_caption":                  {"Customers by recency score (rows) and frequency score (columns)", "按最近购买得分（行）和购买频次得分（列）划分的客户"},
	"segments.rfm_cells":                    {"Darker cells hold more customers.", "颜色越深，客户越多。"},
	"segments.rfm_shades":                   {"Shades show each segment's share of customers.", "颜色深浅表示各分层的客户占比。"},
	"segments.rfm_empty":                    {"No customer ordered in the last 365 days.", "近 365 天内没有客户下单。"},
	"segments.clusters":                     {"Behavioural clusters", "行为聚类"},
	"segments.clusters_hint":                {"Customers who ordered, grouped by how they buy; each group is described by what sets it apart.", "按购买行为对下过单的客户分组，并用其最突出的特征描述每一组。"},
	"segments.clusters_summary":             {"{k} clusters of {n} customers (silhouette {s}).", "共 {n} 位客户，分为 {k} 组（轮廓系数 {s}）。"},
	"segments.cluster_n":                    {"Cluster {i} · {n} customers · {share}", "第 {i} 组 · {n} 位客户 · {share}"},
	"segments.clusters_empty":               {"Not enough customers with orders to find clusters yet.", "下过单的客户还不够多，暂时无法聚类。"},
	"rfm.segment":                           {"Segment", "分层"},
	"rfm.customers":                         {"Customers", "客户数"},
	"rfm.customer_share":                    {"Share of customers", "客户占比"},
	"rfm.revenue_share":                     {"Share of revenue", "收入占比"},
	"rfm.recency":                           {"Avg. days since order", "平均未购天数"},
	"rfm.frequency":                         {"Avg. orders", "平均订单数"},
	"rfm.Champions":                         {"Champions", "冠军客户"},
	"rfm.Loyal":                             {"Loyal", "忠诚客户"},
	"rfm.Potential Loyalist":                {"Potential Loyalist", "潜在忠诚客户"},
	"rfm.New":                               {"New", "新客户"},
	"rfm.Promising":                         {"Promising", "有潜力客户"},
	"rfm.Need Attention":                    {"Need Attention", "需要关注"},
	"rfm.About to Sleep":                    {"About to Sleep", "即将沉睡"},
	"rfm.At Risk":                           {"At Risk", "流失风险"},
	"rfm.Can't Lose Them":                   {"Can't Lose Them", "不容流失"},
	"rfm.Hibernating":                       {"Hibernating", "休眠客户"},
	"rfm.Lost":                              {"Lost", "已流失"},
	"feature.orders":                        {"Orders", "订单数"},
	"feature.aov_base":                      {"Average order", "客单价"},
	"feature.days_since_last_order":         {"Days since last order", "距上次下单天数"},
	"feature.order_interval_days":           {"Days between orders", "下单间隔天数"},
	"feature.refund_rate":                   {"Refunded orders", "退款订单占比"},
	"feature.review_rate":                   {"Orders reviewed", "评价订单占比"},
	"feature.marketplaces":                  {"Marketplaces", "购买平台数"},
	"cluster.buy_often":                     {"buy often", "购买频繁"},
	"cluster.buy_rarely":                    {"buy rarely", "很少购买"},
	"cluster.large_baskets":                 {"large baskets", "客单价高"},
	"cluster.small_baskets":                 {"small baskets", "客单价低"},
	"cluster.lapsed":                        {"lapsed", "已久未购买"},
	"cluster.bought_recently":               {"bought recently", "近期有购买"},
	"cluster.long_gaps_between_orders":      {"long gaps between orders", "复购间隔长"},
	"cluster.reorder_quickly":               {"reorder quickly", "复购迅速"},
	"cluster.return_a_lot":                  {"return a lot", "退货多"},
	"cluster.rarely_return":                 {"rarely return", "很少退货"},
	"cluster.write_reviews":                 {"write reviews", "爱写评价"},
	"cluster.shop_on_several_marketplaces":  {"shop on several marketplaces", "跨多个平台购买"},
	"cluster.close_to_the_average_customer": {"close to the average customer", "接近平均客户"},

	// sources and data quality
	"sources.title":                    {"Sources and data quality", "数据来源与数据质量"},
	"sources.intro":                    {"What each source sent in the last hour and day, as received by this server, and what was refused. Refused messages are kept in the quarantine with the field and the reason, never with their content.", "各数据来源最近一小时和一天内发送到本服务器的数据量，以及被拒收的数据。被拒收的消息保存在隔离区，只记录字段和原因，不保存其内容。"},
	"sources.kpis":                     {"Ingest at a glance", "数据接收概况"},
	"sources.count":                    {"Sources", "数据来源"},
	"sources.events_hour":              {"Events, last hour", "近 1 小时事件数"},
	"sources.events_day":               {"Events, last 24 hours", "近 24 小时事件数"},
	"sources.per_minute":               {"{n}/min", "{n} 条/分钟"},
	"sources.axis_per_minute":          {"events per minute", "每分钟事件数"},
	"sources.quarantined_day":          {"Quarantined, last 24 hours", "近 24 小时隔离数"},
	"sources.quarantined":              {"Quarantined", "被隔离"},
	"sources.needs_look":               {"needs a look", "需要查看"},
	"sources.all_clean":                {"nothing refused", "无拒收"},
	"sources.rates":                    {"Ingest rate by source", "各来源接收速率"},
	"sources.rates_hint":               {"Events per minute by the time the server received them (an import of old orders counts when it arrives); bars show refused messages.", "按服务器接收时间统计的每分钟事件数（导入的历史订单按导入时间计）；柱形表示被拒收的消息。"},
	"sources.window":                   {"Time window", "时间范围"},
	"sources.last_hour":                {"Last hour", "近 1 小时"},
	"sources.last_day":                 {"Last 24 hours", "近 24 小时"},
	"sources.no_events_hour":           {"Nothing was received in the last hour. Send events with a source's write key (the Segment HTTP API at /v1/track, /v1/batch …) or import a file with tradewind import; the rates show here as they arrive.", "近 1 小时没有收到数据。请使用数据来源的写入密钥发送事件（Segment HTTP API：/v1/track、/v1/batch 等），或用 tradewind import 导入文件；数据到达后速率会显示在这里。"},
	"sources.no_events_day":            {"Nothing was received in the last 24 hours. Send events with a source's write key or import a file with tradewind import.", "近 24 小时没有收到数据。请使用数据来源的写入密钥发送事件，或用 tradewind import 导入文件。"},
	"sources.other":                    {"Other sources", "其他来源"},
	"sources.sources":                  {"Sources", "数据来源"},
	"sources.manage":                   {"Manage sources and write keys", "管理数据来源和写入密钥"},
	"sources.no_sources":               {"No sources yet: every SDK, store and import sends through a source with its own write key.", "还没有数据来源：每个 SDK、店铺和导入都通过一个拥有独立写入密钥的数据来源发送数据。"},
	"sources.create_one":               {"Create one in Settings.", "请在“设置”中创建。"},
	"sources.internal":                 {"tradewind (internal)", "tradewind（内部）"},
	"sources.unregistered":             {"not registered (deleted?)", "未登记（已删除？）"},
	"sources.last_received":            {"Last received", "最近接收"},
	"sources.never":                    {"never", "从未"},
	"sources.key_hint":                 {"The end of the write key, to tell keys apart; the full key is in Settings.", "写入密钥的末尾几位，用于区分密钥；完整密钥见“设置”。"},
	"sources.show_quarantine_of":       {"Show the quarantine of {name}", "查看 {name} 的隔离记录"},
	"sources.quarantine":               {"Quarantine", "隔离区"},
	"sources.quarantine_hint":          {"Messages and imported rows that were refused, newest first. Fix the sender (or the file) using the field and reason, and send again: nothing here is ingested by itself. Imported rows are listed with their line; the rows themselves are in the import's report, with personal values redacted.", "被拒收的消息和导入行，按时间倒序。请根据字段和原因修正发送方（或文件）后重新发送：隔离区中的数据不会自动接收。导入的行只显示行号；行内容见导入报告，其中的个人数据已脱敏。"},
	"sources.quarantine_filter":        {"Filter the quarantine", "筛选隔离记录"},
	"sources.quarantine_empty":         {"Nothing quarantined: every message and row sent so far was accepted.", "隔离区为空：目前发送的所有消息和数据行均已接收。"},
	"sources.quarantine_none_filtered": {"Nothing quarantined for this source and origin. Choose “All sources” to see the rest.", "该来源和渠道没有隔离记录。选择“全部来源”可查看其他记录。"},
	"sources.source":                   {"Source", "来源"},
	"sources.all_sources":              {"All sources", "全部来源"},
	"sources.origin":                   {"Origin", "渠道"},
	"sources.all_origins":              {"All origins", "全部渠道"},
	"sources.apply":                    {"Show", "查看"},
	"sources.recent":                   {"Newest first", "最新记录"},
	"sources.top_reasons":              {"Most frequent reasons, last 7 days", "近 7 天最常见的原因"},
	"sources.field":                    {"Field", "字段"},
	"sources.reason":                   {"Reason", "原因"},
	"sources.times":                    {"Times", "次数"},
	"sources.last_seen":                {"Last seen", "最近一次"},
	"sources.when":                     {"When", "时间"},
	"sources.where":                    {"Where", "位置"},
	"sources.where_import":             {"import {id}", "导入 {id}"},
	"sources.where_line":               {"line {n}", "第 {n} 行"},
	"sources.where_index":              {"batch item {n}", "批次第 {n} 条"},
	"sources.where_seq":                {"log message #{n}", "日志消息 #{n}"},
	"qorigin.http":                     {"tracking API", "跟踪 API"},
	"qorigin.import":                   {"file import", "文件导入"},
	"qorigin.webhook":                  {"shop webhook", "店铺 Webhook"},
	"qorigin.writer":                   {"store writer", "存储写入"},
	"kind.amazon":                      {"Amazon", "亚马逊"},
	"kind.shopify":                     {"Shopify", "Shopify"},
	"kind.tiktok_shop":                 {"TikTok Shop", "TikTok Shop"},
	"kind.web":                         {"Website", "网站"},
	"kind.sdk":                         {"SDK", "SDK"},
	"kind.import":                      {"File import", "文件导入"},

	// privacy
	"privacy.title":              {"Privacy", "隐私"},
	"privacy.requests":           {"Data-subject requests", "数据主体请求"},
	"privacy.none":               {"No requests yet.", "还没有请求。"},
	"privacy.request":            {"Request", "请求"},
	"privacy.kind":               {"Kind", "类型"},
	"privacy.kind_export":        {"Export (access)", "导出（访问权）"},
	"privacy.kind_erasure":       {"Erasure", "删除"},
	"privacy.identifier":         {"Identifier", "标识"},
	"privacy.status":             {"Status", "状态"},
	"privacy.regulation":         {"Regulation", "法规"},
	"privacy.created":            {"Received", "收到时间"},
	"privacy.deadline":           {"Deadline", "截止日期"},
	"privacy.result":             {"Result", "结果"},
	"privacy.actions":            {"Actions", "操作"},
	"privacy.days_left":          {"{n} days left", "剩余 {n} 天"},
	"privacy.overdue":            {"{n} days overdue", "已逾期 {n} 天"},
	"privacy.awaiting_approval":  {"awaiting approval", "待批准"},
	"privacy.approve":            {"Approve", "批准"},
	"privacy.needs_second":       {"A second person must approve.", "需要另一位同事批准。"},
	"privacy.download_json":      {"JSON", "JSON"},
	"privacy.download_zip":       {"ZIP", "ZIP"},
	"privacy.masked_short":       {"masked", "已脱敏"},
	"privacy.erasure_result":     {"{ids} identities, {keys} keys destroyed, {msgs} messages deleted", "{ids} 个身份，销毁 {keys} 个密钥，删除 {msgs} 条消息"},
	"privacy.export_result":      {"{ids} identities, {rows} records", "{ids} 个身份，{rows} 条记录"},
	"privacy.new":                {"New request", "新建请求"},
	"privacy.reg_gdpr":           {"GDPR (30 days)", "GDPR（30 天）"},
	"privacy.reg_ccpa":           {"CCPA (45 days)", "CCPA（45 天）"},
	"privacy.reg_appi":           {"APPI (30 days)", "APPI（30 天）"},
	"privacy.reg_pipl":           {"PIPL (30 days)", "个人信息保护法 PIPL（30 天）"},
	"privacy.masked":             {"Masked export", "脱敏导出"},
	"privacy.masked_hint":        {"Personal fields masked; needs no second approval.", "个人字段脱敏，无需他人批准。"},
	"privacy.erasure_warning":    {"Erasure destroys the person's keys and deletes their data everywhere, for good. It cannot be undone.", "删除会销毁此人的密钥，并永久删除其在各处的数据，无法撤销。"},
	"privacy.erasure_confirm":    {"I understand that this cannot be undone", "我知道此操作无法撤销"},
	"privacy.confirm_needed":     {"Confirm that you understand the erasure cannot be undone.", "请确认你已了解删除操作无法撤销。"},
	"privacy.submit":             {"Submit request", "提交请求"},
	"privacy.submitted":          {"Request {id} received.", "请求 {id} 已收到。"},
	"privacy.submitted_approval": {"Request {id} received; a second person must approve it before it can be downloaded.", "请求 {id} 已收到；需要另一位同事批准后才能下载。"},
	"privacy.consent":            {"Consent lookup", "同意记录查询"},
	"privacy.consent_lookup":     {"Look up", "查询"},
	"status.pending":             {"in progress", "处理中"},
	"status.completed":           {"completed", "已完成"},
	"status.failed":              {"failed", "失败"},

	// audit
	"audit.title":          {"Audit log", "审计日志"},
	"audit.verify":         {"Integrity", "完整性校验"},
	"audit.verify_again":   {"Verify again", "重新校验"},
	"audit.verify_ok":      {"The hash chain is intact: {n} entries up to #{seq}, matching the checkpoint.", "哈希链完整：共 {n} 条记录（至 #{seq}），与检查点一致。"},
	"audit.verify_bad":     {"The audit log fails verification: {n} problems. It may have been edited, truncated or reordered.", "审计日志校验失败：发现 {n} 个问题，可能已被编辑、截断或重排。"},
	"audit.entries":        {"Entries", "记录数"},
	"audit.head":           {"Head", "链头"},
	"audit.checkpoint":     {"Checkpoint", "检查点"},
	"audit.problem":        {"Problem", "问题"},
	"audit.line":           {"line {n}", "第 {n} 行"},
	"audit.omitted":        {"{n} more problems not listed.", "另有 {n} 个问题未列出。"},
	"audit.search":         {"Search the log", "搜索日志"},
	"audit.action":         {"Action", "操作"},
	"audit.action_hint":    {"A prefix: privacy. finds every privacy action.", "按前缀匹配：privacy. 匹配所有隐私操作。"},
	"audit.actor":          {"Actor", "操作者"},
	"audit.actor_hint":     {"User ID or e-mail.", "用户 ID 或邮箱。"},
	"audit.outcome":        {"Outcome", "结果"},
	"audit.outcome_any":    {"Any", "全部"},
	"audit.outcome_ok":     {"ok", "成功"},
	"audit.outcome_denied": {"denied", "被拒绝"},
	"audit.outcome_failed": {"failed", "失败"},
	"audit.since":          {"Since", "开始时间"},
	"audit.text":           {"Text", "关键词"},
	"audit.search_button":  {"Search", "搜索"},
	"audit.none":           {"No entries match.", "没有匹配的记录。"},
	"audit.older":          {"Older entries", "更早的记录"},
	"audit.time":           {"Time", "时间"},
	"audit.target":         {"Target", "对象"},
	"audit.ip":             {"Address", "地址"},
	"audit.detail":         {"Detail", "详情"},
	"actor.user_session":   {"dashboard", "仪表盘"},
	"actor.api_token":      {"API token", "API 令牌"},
	"actor.admin_token":    {"admin token", "管理员令牌"},
	"actor.none":           {"not signed in", "未登录"},

	// settings
	"settings.title":              {"Settings", "设置"},
	"settings.users":              {"Users", "用户"},
	"settings.you":                {"you", "你"},
	"settings.role":               {"Role", "角色"},
	"settings.role_of":            {"Role of {email}", "{email} 的角色"},
	"settings.role_changed":       {"{email} is now {role}; their sessions ended.", "{email} 的角色已改为{role}，其登录会话已结束。"},
	"settings.status":             {"Status", "状态"},
	"settings.enabled":            {"active", "启用"},
	"settings.disabled":           {"disabled", "停用"},
	"settings.enable":             {"Enable", "启用"},
	"settings.disable":            {"Disable", "停用"},
	"settings.confirm_disable":    {"Disable {email}? They are signed out at once.", "确定停用 {email} 吗？对方将立即退出登录。"},
	"settings.created":            {"Created", "创建时间"},
	"settings.user_new":           {"Add a user", "添加用户"},
	"settings.user_create":        {"Add user", "添加"},
	"settings.user_created":       {"{email} can sign in now.", "{email} 现在可以登录了。"},
	"settings.tokens":             {"Your API tokens", "我的 API 令牌"},
	"settings.tokens_hint":        {"Tokens act for you, limited to their scopes and your role; send them as Authorization: Bearer.", "令牌代表你调用接口，权限不超过所选范围和你的角色；请通过 Authorization: Bearer 发送。"},
	"settings.no_tokens":          {"No tokens.", "没有令牌。"},
	"settings.token_new":          {"Create a token", "创建令牌"},
	"settings.token_name":         {"Name", "名称"},
	"settings.token_days":         {"Valid for (days)", "有效期（天）"},
	"settings.token_scopes":       {"Scopes", "权限范围"},
	"settings.token_create":       {"Create token", "创建令牌"},
	"settings.token_once":         {"Copy the token now: it is shown only once.", "请立即复制令牌：它只显示这一次。"},
	"settings.need_scope":         {"Choose at least one scope.", "请至少选择一个权限范围。"},
	"settings.expires":            {"Expires", "过期时间"},
	"settings.last_used":          {"Last used", "最近使用"},
	"settings.revoke":             {"Revoke", "撤销"},
	"settings.confirm_revoke":     {"Revoke the token “{name}”? Scripts using it stop working.", "确定撤销令牌“{name}”吗？使用它的脚本将无法继续工作。"},
	"settings.sources":            {"Sources", "数据来源"},
	"settings.no_sources":         {"No sources yet. Create one to get a write key for your SDKs and imports.", "还没有数据来源。创建一个即可获得用于 SDK 和导入的写入密钥。"},
	"settings.source_name":        {"Name", "名称"},
	"settings.source_kind":        {"Kind", "类型"},
	"settings.source_store":       {"Store", "店铺"},
	"settings.source_marketplace": {"Marketplace", "销售平台"},
	"settings.source_currency":    {"Currency", "币种"},
	"settings.source_country":     {"Country", "国家"},
	"settings.write_key":          {"Write key", "写入密钥"},
	"settings.show":               {"Show", "显示"},
	"settings.hide":               {"Hide", "隐藏"},
	"settings.source_new":         {"Add a source", "添加数据来源"},
	"settings.source_create":      {"Add source", "添加"},
	"settings.source_created":     {"Source {name} ({id}) created. Its write key:", "已创建数据来源 {name}（{id}），写入密钥："},
	"settings.retention":          {"Data retention", "数据保留"},
	"settings.retention_hint":     {"How long each kind of data is kept; a job deletes older rows every 6 hours.", "各类数据的保留时长；系统每 6 小时删除一次过期数据。"},
	"settings.retention_add":      {"Add rule", "添加规则"},
	"settings.retention_save":     {"Save policy", "保存策略"},
	"settings.retention_run":      {"Run now", "立即执行"},
	"settings.retention_last":     {"Last run", "上次执行"},
	"settings.ret_table":          {"Data", "数据"},
	"settings.ret_type":           {"Message type", "消息类型"},
	"settings.ret_event":          {"Event name", "事件名称"},
	"settings.ret_days":           {"Keep (days)", "保留天数"},
	"settings.ret_any":            {"any", "全部"},
	"settings.ret_remove":         {"Remove", "移除"},
	"settings.ret_saved":          {"Retention policy saved.", "保留策略已保存。"},
	"settings.ret_no_rules":       {"No rules: everything is kept.", "没有规则：所有数据都将保留。"},
	"settings.ret_never":          {"The job has not run yet.", "尚未执行过。"},
	"settings.ret_ran":            {"Ran {when}, took {s} s.", "执行于 {when}，耗时 {s} 秒。"},
	"settings.ret_cutoff":         {"Deleted before", "删除早于"},
	"settings.ret_deleted":        {"Rows deleted", "删除行数"},
	"settings.ret_confirm_run":    {"Delete every row older than the policy allows, now?", "确定立即删除所有超出保留期限的数据吗？"},
	"table.events":                {"Events", "事件"},
	"table.orders":                {"Orders", "订单"},
	"table.customers":             {"Customer records", "客户记录"},
	"table.reviews":               {"Reviews", "评价"},
	"table.consent":               {"Consent", "同意记录"},
	"table.quarantine":            {"Quarantine", "隔离区"},
	"table.ad_spend":              {"Ad spend", "广告花费"},
}
