--[[
typography.lua: the report's own typography, for both renderers.

Quarto runs it through `filters:` in _quarto.yml (at `post-render`, once its own filters
have built figures, tables and cross-references), the pandoc path after quarto_options.lua
(the emulation of what Quarto does natively). So the same rules give the same page
whichever engine renders:

  * minus signs: the sign of a negative number is U+2212 in both formats;
  * quotes: French guillemets with no-break spaces in HTML (Typst's smart quotes already
    do it for `lang: fr`);
  * tables: column widths from their text, small type for wide tables, a scrolling box in
    HTML, short tables kept in one piece in Typst; very long values wrap (break
    opportunities in long words) and values longer than a page are cut with an ellipsis
    in the PDF;
  * Typst: characters that none of Typst's embedded fonts can show (an emoji, CJK) are
    printed as their code point, `[U+1F600]`, instead of failing the accessible PDF.
]]

local is_html = FORMAT:match("html") ~= nil
local is_typst = FORMAT:match("typst") ~= nil
local stringify = pandoc.utils.stringify

-- Minus signs. cae_report.fr writes negative numbers with U+002D. Typst turns a hyphen
-- before a digit into a minus sign only in some places ("−1" at the start of a table cell,
-- but "(-1)" in running text), so one page mixed both, and the HTML showed hyphens. Every
-- sign of a number becomes U+2212, in both formats; a date (YYYY-MM-DD) or a range (10-12)
-- has a digit before its hyphen and is left alone.
local MINUS = "\u{2212}"
local SIGN_CONTEXTS = { "%(", "%[", "/", "=", "\u{a0}", "\u{202f}", "\u{2248}", ":", ";" }

local function minus_text(text)
  if not text:find("-", 1, true) then
    return text
  end
  text = text:gsub("^%-(%d)", MINUS .. "%1")
  for _, before in ipairs(SIGN_CONTEXTS) do
    text = text:gsub("(" .. before .. ")%-(%d)", "%1" .. MINUS .. "%2")
  end
  return text
end

-- ``node`` with the text of each Str passed through ``change`` (a Str left as it is when
-- its text does not change).
local function map_str(node, change)
  return node:walk({
    Str = function(str)
      local text = change(str.text)
      if text ~= str.text then
        return pandoc.Str(text)
      end
    end,
  })
end

local function minus_signs(blocks)
  return map_str(blocks, minus_text)
end

-- Quotes: French guillemets in HTML.
local function french_quotes(blocks, lang)
  if not is_html or not lang:match("^fr") then
    return blocks
  end
  return blocks:walk({
    Quoted = function(quoted)
      if quoted.quotetype == "DoubleQuote" then
        local inlines = pandoc.Inlines({ pandoc.Str("«\u{a0}") })
        inlines:extend(quoted.content)
        inlines:insert(pandoc.Str("\u{a0}»"))
        return inlines
      end
    end,
  })
end

-- Long values (Typst). A word longer than a column cannot break (table cells are not
-- hyphenated) and would overprint the next column: words longer than LONG_WORD get a
-- break opportunity (U+200B, invisible) every BREAK_EVERY characters. A cell longer than
-- MAX_CELL characters (a pasted document in a data field) is cut with an ellipsis: the
-- HTML keeps the whole value.
local LONG_WORD = 24
local BREAK_EVERY = 12
local MAX_CELL = 600
local ZWSP = "\u{200b}"

local function utf8_chars(text)
  local chars = {}
  for _, code in utf8.codes(text) do
    chars[#chars + 1] = utf8.char(code)
  end
  return chars
end

-- Break opportunities inside the runs of a word that have none (a hyphen or a slash
-- already is one: "SAINT-JULIEN-EN-CHAMPSAUR" needs no help).
local function breakable_run(run)
  local chars = utf8_chars(run)
  if #chars <= LONG_WORD then
    return run
  end
  local parts = {}
  for i, char in ipairs(chars) do
    parts[#parts + 1] = char
    if i % BREAK_EVERY == 0 and i < #chars then
      parts[#parts + 1] = ZWSP
    end
  end
  return table.concat(parts)
end

local function breakable_word(text)
  if (utf8.len(text) or #text) <= LONG_WORD then
    return text
  end
  return (text:gsub("[^%-/]+", breakable_run))
end

local function cut_cell(cell)
  local count = 0
  local cut = false
  local contents = cell.contents:walk({
    Str = function(str)
      if cut then
        return pandoc.Str("")
      end
      local chars = utf8_chars(str.text)
      if count + #chars > MAX_CELL then
        cut = true
        local keep = {}
        for i = 1, MAX_CELL - count do
          keep[i] = chars[i]
        end
        return pandoc.Str(table.concat(keep) .. "\u{a0}[…]")
      end
      count = count + #chars + 1
      return str
    end,
    Space = function()
      if cut then
        return pandoc.Str("")
      end
    end,
  })
  cell.contents = contents
  return cell
end

-- Every row of a table, head and bodies.
local function each_row(tbl, visit)
  for _, row in ipairs(tbl.head.rows) do
    visit(row)
  end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      visit(row)
    end
  end
end

-- A run of more than LONG_WORD bytes with no space, hyphen or slash: the only text in which
-- breakable_word changes anything (a character is one byte or more).
local LONG_RUN = string.rep("[^%s%-/]", LONG_WORD + 1)

-- The text of every cell, row by row in each_row's order: what the width and height
-- estimates read (each cell's contents read once, not once per estimate).
local function cell_texts(tbl)
  local texts = {}
  each_row(tbl, function(row)
    local row_texts = {}
    for i, cell in ipairs(row.cells) do
      row_texts[i] = stringify(cell.contents)
    end
    texts[#texts + 1] = row_texts
  end)
  return texts
end

-- Cuts the values longer than MAX_CELL and breaks the long words; returns the cells' texts
-- after that (as cell_texts).
local function long_values(tbl)
  local texts = {}
  each_row(tbl, function(row)
    local row_texts = {}
    for i, cell in ipairs(row.cells) do
      local text = stringify(cell.contents)
      local changed = false
      if (utf8.len(text) or #text) > MAX_CELL then
        cell = cut_cell(cell)
        changed = true
      end
      if changed or text:find(LONG_RUN) then
        cell.contents = map_str(cell.contents, breakable_word)
        changed = true
      end
      row.cells[i] = cell
      row_texts[i] = changed and stringify(cell.contents) or text
    end
    texts[#texts + 1] = row_texts
  end)
  return texts
end

-- Characters that Typst cannot show (Typst). The PDF is compiled with Typst's embedded
-- fonts only (Libertinus Serif, New Computer Modern, DejaVu Sans Mono, with fallback
-- between them); a character none of them has fails the accessible PDF ("could not be
-- displayed with font"). Such a character is printed as its code point. The table of
-- what the fonts show is measured on Typst itself: `python -m cae_report.publish.glyphs`
-- rewrites it (and tests/test_publish.py checks a sample against Typst).
-- BEGIN GLYPHS
local SUPPORTED = {
  { 0x0000, 0x0377 }, { 0x037A, 0x037F }, { 0x0384, 0x038A }, { 0x038C, 0x038C },
  { 0x038E, 0x03A1 }, { 0x03A3, 0x0482 }, { 0x048A, 0x04FF }, { 0x0510, 0x0513 },
  { 0x051A, 0x051D }, { 0x0531, 0x0556 }, { 0x0559, 0x058A }, { 0x058D, 0x058F },
  { 0x05BE, 0x05BE }, { 0x05C0, 0x05C0 }, { 0x05C3, 0x05C3 }, { 0x05C6, 0x05C6 },
  { 0x05D0, 0x05EA }, { 0x05EF, 0x05F4 }, { 0x0600, 0x060C }, { 0x061B, 0x061C },
  { 0x061F, 0x061F }, { 0x0621, 0x063A }, { 0x0640, 0x064A }, { 0x0660, 0x066D },
  { 0x0674, 0x0674 }, { 0x0679, 0x067B }, { 0x067E, 0x0680 }, { 0x0683, 0x0684 },
  { 0x0686, 0x0687 }, { 0x0691, 0x0691 }, { 0x0698, 0x0698 }, { 0x06A4, 0x06A4 },
  { 0x06A9, 0x06A9 }, { 0x06AF, 0x06AF }, { 0x06BE, 0x06BE }, { 0x06CC, 0x06CC },
  { 0x06DD, 0x06DD }, { 0x06F0, 0x06F9 }, { 0x070F, 0x070F }, { 0x0890, 0x0891 },
  { 0x08E2, 0x08E2 }, { 0x0904, 0x0939 }, { 0x093D, 0x093D }, { 0x0950, 0x0950 },
  { 0x0958, 0x0961 }, { 0x0964, 0x097F }, { 0x0E3F, 0x0E3F }, { 0x0E81, 0x0E82 },
  { 0x0E84, 0x0E84 }, { 0x0E87, 0x0E88 }, { 0x0E8A, 0x0E8A }, { 0x0E8D, 0x0E8D },
  { 0x0E94, 0x0E97 }, { 0x0E99, 0x0E9F }, { 0x0EA1, 0x0EA3 }, { 0x0EA5, 0x0EA5 },
  { 0x0EA7, 0x0EA7 }, { 0x0EAA, 0x0EAB }, { 0x0EAD, 0x0EB0 }, { 0x0EB2, 0x0EB3 },
  { 0x10D0, 0x10FF }, { 0x115F, 0x1160 }, { 0x13A0, 0x13F5 }, { 0x13F8, 0x13FD },
  { 0x1680, 0x1680 }, { 0x180E, 0x180E }, { 0x1AB0, 0x1AFF }, { 0x1D00, 0x1F15 },
  { 0x1F18, 0x1F1D }, { 0x1F20, 0x1F45 }, { 0x1F48, 0x1F4D }, { 0x1F50, 0x1F57 },
  { 0x1F59, 0x1F59 }, { 0x1F5B, 0x1F5B }, { 0x1F5D, 0x1F5D }, { 0x1F5F, 0x1F7D },
  { 0x1F80, 0x1FB4 }, { 0x1FB6, 0x1FC4 }, { 0x1FC6, 0x1FD3 }, { 0x1FD6, 0x1FDB },
  { 0x1FDD, 0x1FEF }, { 0x1FF2, 0x1FF4 }, { 0x1FF6, 0x1FFE }, { 0x2000, 0x2027 },
  { 0x202A, 0x2040 }, { 0x2042, 0x2042 }, { 0x2044, 0x2052 }, { 0x2054, 0x2064 },
  { 0x2066, 0x2071 }, { 0x2074, 0x208E }, { 0x2090, 0x209C }, { 0x20A0, 0x20C0 },
  { 0x20D0, 0x211E }, { 0x2120, 0x2120 }, { 0x2122, 0x2122 }, { 0x2124, 0x2124 },
  { 0x2126, 0x2151 }, { 0x2153, 0x2184 }, { 0x2189, 0x2189 }, { 0x2190, 0x23FF },
  { 0x2422, 0x2423 }, { 0x2460, 0x2606 }, { 0x2609, 0x262F }, { 0x2638, 0x268B },
  { 0x2690, 0x269C }, { 0x26A0, 0x26A7 }, { 0x26AA, 0x26AF }, { 0x26B2, 0x26B2 },
  { 0x2701, 0x2704 }, { 0x2706, 0x2709 }, { 0x270C, 0x2714 }, { 0x2717, 0x2726 },
  { 0x272A, 0x274B }, { 0x274D, 0x274D }, { 0x274F, 0x2752 }, { 0x2756, 0x2756 },
  { 0x2758, 0x275E }, { 0x2761, 0x277F }, { 0x2794, 0x2794 }, { 0x2798, 0x27AF },
  { 0x27B1, 0x2B73 }, { 0x2B76, 0x2B95 }, { 0x2B97, 0x2BFF }, { 0x2C60, 0x2CEE },
  { 0x2CF2, 0x2CF3 }, { 0x2CF9, 0x2CFF }, { 0x2E02, 0x2E05 }, { 0x2E08, 0x2E0A },
  { 0x2E17, 0x2E18 }, { 0x2E1F, 0x2E1F }, { 0x2E22, 0x2E25 }, { 0x2E2E, 0x2E2E },
  { 0x3000, 0x3000 }, { 0x3012, 0x3012 }, { 0x3016, 0x3017 }, { 0x301A, 0x301B },
  { 0x3030, 0x3030 }, { 0x3036, 0x3036 }, { 0x306E, 0x306E }, { 0xFB00, 0xFB06 },
  { 0xFB13, 0xFB17 }, { 0xFB1D, 0xFB1D }, { 0xFB1F, 0xFB36 }, { 0xFB38, 0xFB3C },
  { 0xFB3E, 0xFB3E }, { 0xFB40, 0xFB41 }, { 0xFB43, 0xFB44 }, { 0xFB46, 0xFB4F },
  { 0xFB52, 0xFB81 }, { 0xFB8A, 0xFB95 }, { 0xFB9E, 0xFB9F }, { 0xFBAA, 0xFBAD },
  { 0xFBE8, 0xFBE9 }, { 0xFBFC, 0xFBFF }, { 0xFE66, 0xFE66 }, { 0xFE70, 0xFE74 },
  { 0xFE76, 0xFEFC }, { 0xFEFF, 0xFEFF }, { 0xFFA0, 0xFFA0 }, { 0xFFF9, 0xFFFD },
  { 0x1D400, 0x1D454 }, { 0x1D456, 0x1D49C }, { 0x1D49E, 0x1D49F }, { 0x1D4A2, 0x1D4A2 },
  { 0x1D4A5, 0x1D4A6 }, { 0x1D4A9, 0x1D4AC }, { 0x1D4AE, 0x1D4B9 }, { 0x1D4BB, 0x1D4BB },
  { 0x1D4BD, 0x1D4C3 }, { 0x1D4C5, 0x1D505 }, { 0x1D507, 0x1D50A }, { 0x1D50D, 0x1D514 },
  { 0x1D516, 0x1D51C }, { 0x1D51E, 0x1D539 }, { 0x1D53B, 0x1D53E }, { 0x1D540, 0x1D544 },
  { 0x1D546, 0x1D546 }, { 0x1D54A, 0x1D550 }, { 0x1D552, 0x1D6A5 }, { 0x1D6A8, 0x1D7CB },
  { 0x1D7CE, 0x1D7FF }, { 0x1F12F, 0x1F12F }, { 0x1F6D1, 0x1F6D1 }, { 0x1F780, 0x1F7D8 },
  { 0x1F7E0, 0x1F7EB }, { 0x1F800, 0x1F80B }, { 0x1F810, 0x1F847 }, { 0x1F850, 0x1F859 },
  { 0x1F860, 0x1F887 }, { 0x1F890, 0x1F8AD }, { 0x1F8B0, 0x1F8B1 },
}
-- END GLYPHS
local DROPPED = { [0x200D] = true, [0xFE0E] = true, [0xFE0F] = true }

local function supported(code)
  local lo, hi = 1, #SUPPORTED
  while lo <= hi do
    local mid = (lo + hi) // 2
    local range = SUPPORTED[mid]
    if code < range[1] then
      hi = mid - 1
    elseif code > range[2] then
      lo = mid + 1
    else
      return true
    end
  end
  return false
end

local function showable(text)
  if not text:find("[\128-\255]") then -- ASCII: every font shows it
    return nil
  end
  local changed = false
  local parts = {}
  for _, code in utf8.codes(text) do
    if code < 0x80 or supported(code) then
      parts[#parts + 1] = utf8.char(code)
    elseif DROPPED[code] or (code >= 0xE0000 and code <= 0xE007F) then
      changed = true
    else
      parts[#parts + 1] = string.format("[U+%04X]", code)
      changed = true
    end
  end
  if changed then
    return table.concat(parts)
  end
  return nil
end

local function showable_text(blocks)
  if not is_typst or #SUPPORTED == 0 then
    return blocks
  end
  local function fix(element)
    local text = showable(element.text)
    if text then
      element.text = text
      return element
    end
  end
  return blocks:walk({ Str = fix, Code = fix, CodeBlock = fix })
end

-- Images (Typst): pandoc's typst writer drops an image's alt text (which the accessible
-- PDF requires) and Quarto's leaves charts at their natural size; every image is written
-- as a Typst call, the width of the text, with its alt text (`fig-alt`, Quarto's attribute,
-- which the pandoc path sets too).
local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("%s+", " ") .. '"'
end

local function typst_images(blocks)
  if not is_typst then
    return blocks
  end
  return blocks:walk({
    Image = function(image)
      local alt = image.attributes["fig-alt"] or image.attributes["alt"] or stringify(image.caption)
      local args = { typst_string(image.src), "width: 100%" }
      if alt ~= "" then
        table.insert(args, "alt: " .. typst_string(alt))
      end
      return pandoc.RawInline("typst", "#box(image(" .. table.concat(args, ", ") .. "))")
    end,
  })
end

-- Tables. Column widths: a pipe table longer than 72 characters gets relative widths from
-- its dashes, which squeeze short columns ("Décision" hyphenated letter by letter), so they
-- are replaced. A table that fits its natural width keeps automatic columns (both formats).
-- A wider one gets widths from its text: short columns their natural width, long text
-- columns the rest in proportion to their average text length, never less than their
-- longest unbreakable word. Without that, the browser's automatic layout gives a column
-- of long explanations (the anomalies' "Explication") a fifth of the width and the
-- table runs over several screens. In Typst the wide table also gets a smaller font, in
-- HTML a scrolling wrapper. Table cells are not hyphenated (both templates: a name cut
-- as "CAR-BONNET" reads as another name), so every word must fit its column; a line may
-- still break after a hyphen ("ST-JULIEN-EN-CHAMPSAUR" is not one long word).
local LINE_CHARS = 100 -- characters of table text on one A4 line (about 9 pt)
local SHORT_COLUMN = 18

local function column_metrics(tbl, texts)
  local columns = {}
  for i = 1, #tbl.colspecs do
    columns[i] = { natural = 1, word = 1, total = 0, count = 0 }
  end
  for _, row_texts in ipairs(texts) do
    for i, text in ipairs(row_texts) do
      local column = columns[i]
      if column then
        local length = utf8.len(text) or #text
        column.natural = math.max(column.natural, math.min(length, 60))
        column.total = column.total + length
        column.count = column.count + 1
        for word in text:gsub(ZWSP, " "):gmatch("[^%s%-/]+") do
          -- capitals are about 1.4 times as wide as small letters ("MONT DAUPHIN")
          local _, capitals = word:gsub("%u", "")
          local word_length = (utf8.len(word) or #word) + 0.4 * capitals
          column.word = math.max(column.word, word_length)
        end
      end
    end
  end
  return columns
end

-- Font size of a table's text relative to the other tables (Typst): wide tables are set
-- smaller, so that more characters fit on a line.
local function font_scale(total)
  if total > 1.7 * LINE_CHARS then
    return 0.8
  elseif total > LINE_CHARS then
    return 0.9
  end
  return 1
end

local function text_widths(columns)
  local total = 0
  for _, column in ipairs(columns) do
    total = total + column.natural + 2
  end
  if total <= LINE_CHARS then
    return nil, total
  end
  local scale = is_typst and font_scale(total) or 1
  -- Short columns: their natural width. Long ones share the rest in proportion to their
  -- average text length, none below its longest word: a column whose share is too small
  -- gets that minimum and the others share what is left (repeated until stable).
  local widths, rest, long = {}, 1.0, {}
  for i, column in ipairs(columns) do
    if column.natural <= SHORT_COLUMN then
      widths[i] = (column.natural + 2.5) * scale / LINE_CHARS
      rest = rest - widths[i]
    else
      long[i] = {
        weight = math.max(column.total / math.max(column.count, 1), 1),
        min = (column.word + 2) * scale / LINE_CHARS,
      }
    end
  end
  if rest < 0.25 or next(long) == nil then
    return nil, total
  end
  local floor_sum = 0
  for i = 1, #columns do
    local spec = long[i] or { min = 0 }
    floor_sum = floor_sum + spec.min
  end
  if floor_sum > rest then
    return nil, total -- the words alone do not fit: leave it to the automatic layout
  end
  local fixed, changed = {}, true
  while changed do
    changed = false
    local free_rest, free_weight = rest, 0
    for i = 1, #columns do
      local spec = long[i]
      if spec == nil then
        -- a short column: its width is already set
      elseif fixed[i] then
        free_rest = free_rest - spec.min
      else
        free_weight = free_weight + spec.weight
      end
    end
    for i = 1, #columns do
      local spec = long[i]
      if spec and not fixed[i] then
        local share = free_rest * spec.weight / free_weight
        if share < spec.min then
          fixed[i] = true
          changed = true
        else
          widths[i] = share
        end
      end
    end
    if changed then
      for i = 1, #columns do
        if fixed[i] then
          widths[i] = long[i].min
        end
      end
    end
  end
  return widths, total
end

-- Typst: a short table is kept in one piece, so that it never leaves its caption, header
-- and a row or two at the foot of a page; a longer one breaks across pages (its header
-- row is repeated, and the caption stays with the first rows). Kept in one piece, a table
-- of 40 lines could leave two thirds of a page empty: only short ones are. Its height is
-- estimated in lines of text.
local KEEP_TOGETHER_LINES = 14

local function estimated_lines(tbl, texts, widths, scale)
  local ncols = #tbl.colspecs
  local function row_lines(row_texts)
    local lines = 1
    for i, text in ipairs(row_texts) do
      local share = widths and widths[i] or (1 / ncols)
      local chars = math.max(share * LINE_CHARS / scale - 2, 4)
      lines = math.max(lines, math.ceil((utf8.len(text) or #text) / chars))
    end
    return lines
  end
  local lines = 0
  for _, row_texts in ipairs(texts) do
    lines = lines + row_lines(row_texts)
  end
  return lines
end

local function fit_tables(blocks)
  return blocks:walk({
    Table = function(tbl)
      local texts = is_typst and long_values(tbl) or cell_texts(tbl)
      local widths, total = text_widths(column_metrics(tbl, texts))
      for i, colspec in ipairs(tbl.colspecs) do
        tbl.colspecs[i] = { colspec[1], widths and widths[i] or nil }
      end
      if is_html then
        -- a wide table is set smaller (report.css), as in the PDF
        local classes = total > LINE_CHARS and { "cae-table", "cae-wide" } or { "cae-table" }
        return pandoc.Div({ tbl }, pandoc.Attr("", classes, {}))
      end
      if not is_typst then
        return tbl
      end
      local scale = font_scale(total)
      local size = scale < 1 and (scale .. "em") or nil
      local keep = estimated_lines(tbl, texts, widths, scale) <= KEEP_TOGETHER_LINES
      if size == nil and not keep then
        return tbl
      end
      -- the spacing of a figure (typst-template.typ), which the wrapper would otherwise hide
      local keep_block = "block(breakable: false, above: 1.4em, below: 1.4em)"
      local open = "#" .. (keep and keep_block or "") .. "["
      if size then
        open = open .. "#set text(size: " .. size .. ")"
      end
      return pandoc.Blocks({ pandoc.RawBlock("typst", open), tbl, pandoc.RawBlock("typst", "]") })
    end,
  })
end


-- Caption numbers (HTML): "Tableau 1 :" in bold accent, as in the PDF (typst-template.typ).
-- A caption starts with the inlines Quarto writes for its title, Str(label) Str(nbsp)
-- Str(number); the pandoc path writes the same (quarto_options.lua). They are found in
-- the captions of Figure and Table elements (pandoc path) and in the Plain that follows
-- Quarto's `<figcaption>` raw block.
local labels = {}

local function read_labels(meta)
  local language = type(meta.language) == "table" and meta.language or {}
  labels = {}
  for key, default in pairs({ ["crossref-fig-title"] = "Figure", ["crossref-tbl-title"] = "Tableau" }) do
    labels[language[key] ~= nil and stringify(language[key]) or default] = true
  end
end

local function number_caption(inlines)
  if #inlines < 3 then
    return nil
  end
  local first, space, number = inlines[1], inlines[2], inlines[3]
  if first.t == "Str" and labels[first.text] and space.t == "Str" and space.text == "\u{a0}"
    and number.t == "Str" and number.text:match("^%d+$") then
    local result = pandoc.Inlines({
      pandoc.Span({ first, space, number }, pandoc.Attr("", { "caption-number" }, {})),
    })
    for i = 4, #inlines do
      result:insert(inlines[i])
    end
    return result
  end
  return nil
end

local function caption_numbers(blocks)
  if not is_html then
    return blocks
  end
  local function long_caption(caption)
    local first = caption.long[1]
    if first and (first.t == "Plain" or first.t == "Para") then
      local numbered = number_caption(first.content)
      if numbered then
        first.content = numbered
      end
    end
    return caption
  end
  return blocks:walk({
    Figure = function(fig)
      fig.caption = long_caption(fig.caption)
      return fig
    end,
    Table = function(tbl)
      tbl.caption = long_caption(tbl.caption)
      return tbl
    end,
    Blocks = function(list)
      for i = 2, #list do
        local before, block = list[i - 1], list[i]
        if before.t == "RawBlock" and before.format == "html"
          and before.text:match("^<figcaption") and block.t == "Plain" then
          local numbered = number_caption(block.content)
          if numbered then
            block.content = numbered
          end
        end
      end
      return list
    end,
  })
end

function Pandoc(doc)
  local blocks = doc.blocks
  read_labels(doc.meta)
  blocks = caption_numbers(blocks)
  blocks = french_quotes(blocks, stringify(doc.meta.lang or ""))
  blocks = minus_signs(blocks)
  blocks = fit_tables(blocks)
  blocks = showable_text(blocks)
  blocks = typst_images(blocks)
  doc.blocks = blocks
  return doc
end
